"""What a lab did to an engine beyond its labelled resources (e.g. joined swarm mode), so that `down`
undoes exactly that later — kept as a small JSON file per lab and engine under the state directory."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from dockerctl.hosts.paths import state_dir, write_json


def _path(lab: str, engine_url: str) -> Path:
    state = state_dir()
    digest = hashlib.sha256(engine_url.encode()).hexdigest()[:10]
    return state / "labs" / f"{lab}@{digest}.json"


def save(lab: str, engine_url: str, record: dict[str, Any]) -> None:
    write_json(_path(lab, engine_url), {**record, "engine": engine_url})


def load(lab: str, engine_url: str) -> dict[str, Any]:
    try:
        value = json.loads(_path(lab, engine_url).read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def forget(lab: str, engine_url: str) -> None:
    with contextlib.suppress(OSError):
        _path(lab, engine_url).unlink()
