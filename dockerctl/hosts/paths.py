"""Paths on this machine that dockerctl owns or shares, named once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_ENV = "DOCKERCTL_STATE_DIR"  # where dockerctl keeps its records, locks and lab daemons' state
DEFAULT_STATE = "/var/lib/dockerctl-state"
NETNS_DIR = "/var/run/netns"  # named network namespaces (`ip netns`), where lab hosts live


def state_dir() -> Path:
    """dockerctl's state directory on this machine ($DOCKERCTL_STATE_DIR, or /var/lib/dockerctl-state)."""
    return Path(os.environ.get(STATE_ENV, DEFAULT_STATE))


def write_atomic(path: Path, text: str) -> None:
    """Write a record whole or not at all — a reader (another dockerctl, a restarted plugin) never sees
    half of it: a hidden temporary beside it, renamed over it. Its directory is made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(text)
    tmp.replace(path)


def write_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """A JSON record (keys sorted), written with `write_atomic`."""
    write_atomic(path, json.dumps(data, sort_keys=True, indent=indent))


class InDir:
    """A path attribute of a daemon's or a lab's record: the file `name` in the directory the object's
    `base` attribute names (its run directory: `pidfile = InDir("qemu.pid")`)."""

    def __init__(self, name: str, base: str = "dir") -> None:
        self.name, self.base = name, base

    def __get__(self, obj: object, owner: type | None = None) -> Path:
        directory: Path = getattr(obj, self.base)
        return directory / self.name


class Named:
    """A name derived from a record's fields, one line each: `socket = Named("/run/dctl-{self.host}.sock")`
    (the template is formatted with the object as `self`)."""

    def __init__(self, template: str) -> None:
        self.template = template

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return self.template.format(self=obj)
