"""Lab names: the one thing "lab" names — a group of resources carrying `io.dockerctl.lab=<name>`."""

from __future__ import annotations

import re

from dockerctl.errors import InvalidInput

LAB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def check_lab_name(name: str, *, where: str = "--lab") -> str:
    """A lab name as resource names and labels can carry it; an empty one would match every lab."""
    if not LAB_NAME.match(name):
        shown = repr(name) if name else "an empty name"
        raise InvalidInput(
            f"{shown} is not a lab name: use letters, digits, '.', '_' or '-' (e.g. web-tier), "
            "starting with a letter or digit, at most 63 characters",
            where=where,
        )
    return name
