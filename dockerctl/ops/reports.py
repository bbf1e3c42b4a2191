"""What every report has: checks with verdicts, an `ok`, and a dict for --json."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockerctl.jsonout import Jsonable
from dockerctl.verify.verdict import Check


@dataclass
class CheckReport(Jsonable):
    JSON = "ok checks notes"

    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)
