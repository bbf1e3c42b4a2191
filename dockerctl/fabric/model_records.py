"""One network model's lab records on this machine: `<state>/<model>/<lab>/lab.json`, kept in the one
record store (hosts/state.py `Records`).

The model's lab daemons and its plugin process read the record the lifecycle wrote, so each model keeps
one; how a record is laid out (its dataclass, how it is read back) stays with the model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from dockerctl.hosts import state


class _Record(Protocol):
    @property
    def lab(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Record)


class LabRecords(Generic[R]):
    """Where one model keeps its labs' records, and how one is saved, read back and forgotten."""

    def __init__(self, model: str, parse: Callable[[dict[str, Any]], R]) -> None:
        self.model = model
        self.store: state.Records[R] = state.Records(
            f"{model} lab record", state.model_folder(model), parse, lambda r: r.to_dict(),
            name="{}/lab.json", lab=str,
        )  # fmt: skip

    @property
    def root(self) -> Path:
        return self.store.root

    def dir(self, lab: str) -> Path:
        return self.store.dir(lab)

    def save(self, record: R) -> None:
        self.store.save(record.lab, record)

    def load(self, lab: str) -> R | None:
        """The lab's record, or None when it has none; CorruptRecord (naming the file) when it cannot be
        read back."""
        return self.store.load(lab)

    def forget(self, lab: str) -> None:
        self.store.forget(lab)
