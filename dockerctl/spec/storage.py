"""Storage across hosts (seed V1, V2): a playbook's `storage:` pool and the options of its volumes.

    storage: {hosts: [vh1, vh2]}                 # a GlusterFS pool: replica across these hosts
    volumes:
      xxxdata: {driver: dockerctl-gluster, options: {size: "2"}}   # = --opt=size=2 (GB, as in the course)

The options are checked here — by the playbook and by the volume plugin alike — so a bad one is an error
at its FILE:LINE (or the engine's `Err`) before anything is made.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dockerctl.errors import InvalidInput
from dockerctl.spec.gluster import GLUSTER_DRIVER

VOLUME_OPTIONS = {"size": "the volume's size in GB, as in the course: --opt=size=2 (decimals allowed: 0.5)"}
DEFAULT_SIZE_GB = 1.0


class StorageEntry(BaseModel):
    """A GlusterFS pool across simulated hosts: one glusterd each, a replica volume per docker volume."""

    model_config = ConfigDict(extra="forbid")
    hosts: list[str] = Field(default_factory=list)  # simulated hosts of this playbook (two or more)
    brick_dir: str | None = None  # where the bricks live (default: under the state directory)


def volume_size_gb(opts: dict[str, Any] | None, *, where: str = "--opt") -> float:
    """A pool volume's options → its size in GB. Unknown options and sizes that are not numbers are
    refused, saying what would be right."""
    opts = dict(opts or {})
    unknown = sorted(set(opts) - set(VOLUME_OPTIONS))
    if unknown:
        raise InvalidInput(
            f"unknown option(s) {', '.join(unknown)} for the {GLUSTER_DRIVER} driver; it takes: "
            + "; ".join(f"{k} — {v}" for k, v in VOLUME_OPTIONS.items()),
            where=where,
        )
    raw = opts.get("size")
    if raw is None:
        return DEFAULT_SIZE_GB
    text = str(raw).strip().upper().removesuffix("GB").removesuffix("G")
    try:
        size = float(text)
    except ValueError:
        raise InvalidInput(
            f"size={raw!r} is not a number of GB: give e.g. size=2 (2 GB) or size=0.5", where=where
        ) from None
    if not 0.01 <= size <= 1024:
        raise InvalidInput(f"size={raw!r}: give a size from 0.01 to 1024 GB (e.g. size=2)", where=where)
    return size
