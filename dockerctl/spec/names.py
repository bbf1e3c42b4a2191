"""Names: a lab's name (a group of resources carrying `io.dockerctl.lab=<name>`) and the names a playbook
gives its containers, networks, volumes, services, images, policies and hosts.

A playbook is untrusted text, and its names travel: into resource names on the engine, iptables-restore
input (a model's policies), a routing daemon's config, dnsmasq's hosts file. So every name follows the engine's own
rule — moby's `RestrictedNameChars`, `[a-zA-Z0-9][a-zA-Z0-9_.-]` — checked whole (`fullmatch`: `$`
would let a trailing newline through), at validation with the playbook's FILE:LINE, and again where a
name is spliced into such text (`require_name`). No pydantic here: `down` and the fabric import it.
"""

from __future__ import annotations

import re
from typing import Any

from dockerctl.errors import InvalidInput

LAB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
# moby's RestrictedNameChars (daemon/names): a letter or digit, then letters, digits, '_', '.' or '-'.
# The engine wants two or more for a container's own name; a playbook's names are prefixed (<lab>-web),
# so one character is enough here.
NAME_CHARS = re.compile(r"[a-zA-Z0-9_.-]")
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
NAME_RULE = "letters, digits, '_', '.' or '-', starting with a letter or digit (the engine's rule for names)"


def check_lab_name(name: str, *, where: str = "--lab") -> str:
    """A lab name as resource names and labels can carry it; an empty one would match every lab."""
    if not isinstance(name, str) or not LAB_NAME.fullmatch(name):
        shown = repr(name) if name else "an empty name"
        raise InvalidInput(
            f"{shown} is not a lab name: use letters, digits, '.', '_' or '-' (e.g. web-tier), "
            "starting with a letter or digit, at most 63 characters",
            where=where,
        )
    return name


def is_name(name: object) -> bool:
    return isinstance(name, str) and NAME.fullmatch(name) is not None


def name_problem(name: object) -> str | None:
    """What is wrong with `name` under the engine's rule, in words (None: nothing)."""
    if not isinstance(name, str):
        return f"a name is text, not {type(name).__name__}"
    if NAME.fullmatch(name):
        return None
    if not name:
        return "it is empty"
    problems = []
    bad = "".join(dict.fromkeys(c for c in name if not NAME_CHARS.fullmatch(c)))
    if bad:
        problems.append("it holds " + ", ".join(repr(c) for c in bad))
    if NAME_CHARS.fullmatch(name[0]) and not name[0].isalnum():
        problems.append(f"it starts with {name[0]!r}")
    return " and ".join(problems) or "it does not follow the rule"


def suggest(name: object, example: str) -> str:
    """A name that would be right: `name` with what is wrong replaced, else `example`."""
    if isinstance(name, str):
        fixed = re.sub(r"-{2,}", "-", re.sub(r"[^a-zA-Z0-9_.-]+", "-", name)).lstrip("_.-").rstrip("-")[:40]
        if NAME.fullmatch(fixed):
            return fixed
    return example


def check_name(
    name: object, *, what: str, where: str | None = None, example: str = "web-1", rule: str = NAME_RULE
) -> str:
    """`name` if it follows the engine's rule; else InvalidInput saying what is wrong and what would be
    right. what: the kind of name, for the message ("container", "policy")."""
    problem = name_problem(name)
    if problem is None:
        return str(name)
    raise InvalidInput(
        f"{what} name {name!r} is refused: {problem}; use {rule}, e.g. {suggest(name, example)}",
        where=where,
    )


def require_name(name: object, *, what: str) -> str:
    """At the point of use — a name about to be spliced into text a root tool reads (iptables-restore,
    BIRD's config, a hosts file): the same rule again, whatever validated it before (records on disk
    are read back too)."""
    return check_name(name, what=what, where=f"{what} name")


class BadName(InvalidInput):
    """A name in a section of a playbook (or topology) that breaks the rule. `at` is the key's path, for
    FILE:LINE (a name may hold '.', so a dotted `where` would not find it); `where` is the section."""

    def __init__(self, message: str, *, at: tuple[str, ...]) -> None:
        super().__init__(message, where=at[0])
        self.at = at


def check_section_names(data: Any, sections: dict[str, tuple[str, str]]) -> None:
    """Every key of each mapping section of `data` (section → (what, example)) follows the rule, or
    BadName at the first one that does not. Sections that are not mappings are left to the models."""
    if not isinstance(data, dict):
        return
    for section, (what, example) in sections.items():
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for name in entries:
            try:
                check_name(name, what=what, example=example)
            except InvalidInput as exc:
                raise BadName(exc.message, at=(section, name)) from None
