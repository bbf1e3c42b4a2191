"""One network model's lab records on this machine: `<state>/<model>/<lab>/lab.json`.

The model's lab daemons and its plugin process read the record the lifecycle wrote, so each model keeps
one; how a record is laid out (its dataclass, how it is read back) stays with the model.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from dockerctl.hosts.paths import state_dir, write_json


class _Record(Protocol):
    @property
    def lab(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Record)


class LabRecords(Generic[R]):
    """Where one model keeps its labs' records, and how one is saved, read back and forgotten."""

    def __init__(self, model: str, parse: Callable[[dict[str, Any]], R]) -> None:
        self.model = model
        self._parse = parse

    @property
    def root(self) -> Path:
        return state_dir() / self.model

    def dir(self, lab: str) -> Path:
        return self.root / lab

    def save(self, record: R) -> None:
        write_json(self.dir(record.lab) / "lab.json", record.to_dict())

    def load(self, lab: str) -> R | None:
        """The lab's record, or None when it has none (or one this version cannot read)."""
        try:
            return self._parse(json.loads((self.dir(lab) / "lab.json").read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def forget(self, lab: str) -> None:
        shutil.rmtree(self.dir(lab), ignore_errors=True)
