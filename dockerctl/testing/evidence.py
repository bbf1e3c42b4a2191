"""What a failing assertion shows: a table of asked / engine / kernel with the file each value was read
from — printed in the failure and, when the test asked for it, attached to its JUnit report.

A test attaches the table by requesting the `dockerctl_evidence` fixture (every failing dockerctl
assertion in it then records a `dockerctl_evidence` property through pytest's `record_property`), or
by passing `record_property=record_property` to one assertion. Nothing is recorded otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar

Recorder = Callable[[str, object], None]
PROPERTY = "dockerctl_evidence"

# set by the `dockerctl_evidence` fixture for the test that requested it
RECORDER: ContextVar[Recorder | None] = ContextVar("dockerctl_evidence_recorder", default=None)


class KernelAssertionError(AssertionError):
    """A dockerctl assertion that did not hold; `table` is the evidence (asked / engine / kernel / file)."""

    def __init__(self, heading: str, table: str, notes: Sequence[str] = ()) -> None:
        self.heading, self.table, self.notes = heading, table, list(notes)
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return "\n".join([self.heading, self.table, *(f"  {n}" for n in self.notes)])


def table(rows: Iterable[tuple[str, ...]]) -> str:
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        ("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True))).rstrip() for r in rows
    )


def failure(
    heading: str,
    rows: Sequence[tuple[str, ...]],
    notes: Sequence[str] = (),
    *,
    record_property: Recorder | None = None,
) -> KernelAssertionError:
    """The error to raise — recorded first on the JUnit report when a recorder is there."""
    error = KernelAssertionError(heading, table(rows), notes)
    recorder = record_property or RECORDER.get()
    if recorder is not None:
        recorder(PROPERTY, error.text)
    return error
