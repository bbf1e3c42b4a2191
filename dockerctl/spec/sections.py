"""Playbook sections that network models bring beyond those the `Playbook` declares (flannel, calico,
weave are declared there, typed): a model that plugs in registers its section's pydantic class here
under the section's key, and `load_playbook` validates that key with it (errors at FILE:LINE, as for any
other key). The validated section is `Playbook.section(key)`."""

from __future__ import annotations

from pydantic import BaseModel

SECTIONS: dict[str, type[BaseModel]] = {}


def register_section(key: str, cls: type[BaseModel]) -> None:
    SECTIONS[key] = cls


def unregister_section(key: str) -> None:
    SECTIONS.pop(key, None)
