"""Ownership labels: every resource dockerctl creates carries them, cleanup removes only those.

`io.dockerctl.managed=true` marks ownership; `io.dockerctl.lab` groups one lab's resources;
`io.dockerctl.requested` records what the user asked for, because the engine may silently drop a
setting it cannot apply (seed R5) and then keeps no trace of it — verification compares against this.
"""

from __future__ import annotations

import json
from typing import Any

from dockerctl import __version__
from dockerctl.errors import Conflict

MANAGED = "io.dockerctl.managed"
LAB = "io.dockerctl.lab"
REQUESTED = "io.dockerctl.requested"
VERSION = "io.dockerctl.version"
# Images get their own label, never MANAGED: containers inherit their image's labels, and a user's
# container made from a dockerctl image must not look like one dockerctl owns.
IMAGE = "io.dockerctl.image"
# on each lab host's swarm node: which host of the lab it is (placement, and tasks → host)
NODE_LABEL = "io.dockerctl.host"


def image_labels(role: str) -> dict[str, str]:
    return {IMAGE: role, VERSION: __version__}


def owned(lab: str | None = None, requested: dict[str, Any] | None = None) -> dict[str, str]:
    labels = {MANAGED: "true", VERSION: __version__}
    if lab:
        labels[LAB] = lab
    if requested is not None:
        labels[REQUESTED] = json.dumps(requested, sort_keys=True, separators=(",", ":"))
    return labels


def owned_filter(lab: str | None = None) -> dict[str, list[str]]:
    """The engine-side filter that lists only dockerctl's resources (of one lab, when given)."""
    wanted = [f"{MANAGED}=true"]
    if lab:
        wanted.append(f"{LAB}={lab}")
    return {"label": wanted}


def is_owned(labels: dict[str, str] | None, lab: str | None = None) -> bool:
    """Second check on the client side: never trust a filter alone before removing something."""
    labels = labels or {}
    if labels.get(MANAGED) != "true":
        return False
    return lab is None or labels.get(LAB) == lab


def requested_of(labels: dict[str, str] | None) -> dict[str, Any]:
    raw = (labels or {}).get(REQUESTED)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def require_owned(
    kind: str, name: str, labels: dict[str, str] | None, *, any_owner: bool, where: str
) -> None:
    """Refuse to remove a resource dockerctl did not make, unless the caller says so explicitly."""
    if not any_owner and not is_owned(labels):
        raise Conflict(
            f"{kind} {name!r} was not made by dockerctl; pass --any-owner to remove it", where=where
        )


def refuse_used(users: list[str], message: str, *, where: str, hint: str) -> None:
    """Refuse to remove a resource something still uses; `message` names them where it says {users}."""
    if users:
        raise Conflict(message.replace("{users}", ", ".join(users)), where=where, hint=hint)
