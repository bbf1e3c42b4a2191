"""What a lab did to an engine beyond its labelled resources (e.g. joined swarm mode), so that `down`
undoes exactly that later — one record per lab and engine: `<state>/labs/<lab>@<engine digest>.json`."""

from __future__ import annotations

import hashlib
from typing import Any

from dockerctl.hosts import state


def key(lab: str, engine_url: str) -> str:
    """The record's key: the lab, and a digest of the engine's URL."""
    return f"{lab}@{hashlib.sha256(engine_url.encode()).hexdigest()[:10]}"


RECORDS: state.Records[dict[str, Any]] = state.Records(
    "lab record", state.LABS, dict, dict, lab=lambda k: k.rpartition("@")[0]
)


def save(lab: str, engine_url: str, record: dict[str, Any]) -> None:
    RECORDS.save(key(lab, engine_url), {**record, "engine": engine_url})


def load(lab: str, engine_url: str) -> dict[str, Any]:
    """The lab's record for that engine ({}: none); CorruptRecord when it cannot be read back."""
    return RECORDS.load(key(lab, engine_url)) or {}


def forget(lab: str, engine_url: str) -> None:
    RECORDS.forget(key(lab, engine_url))
