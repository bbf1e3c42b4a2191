"""What the user asked for, per container: the creation label plus later `dockerctl update`s.

Labels cannot change on an existing container, so an update's request is kept in a small JSON file
per container id under the state directory; cleanup removes it with the container.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from dockerctl.hosts.paths import state_dir, write_json


def _dir() -> Path:
    return state_dir() / "requested"


def save(container_id: str, asked: dict[str, Any]) -> None:
    write_json(_dir() / f"{container_id}.json", asked)


def load(container_id: str) -> dict[str, Any] | None:
    try:
        value = json.loads((_dir() / f"{container_id}.json").read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def forget(container_id: str) -> None:
    with contextlib.suppress(OSError):
        (_dir() / f"{container_id}.json").unlink()
