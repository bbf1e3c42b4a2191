"""Reading back a record dockerctl wrote under its state directory. Records are written whole
(`paths.write_atomic`), so one that does not parse was changed by something else (a full disk before
atomic writes, an editor, another tool): that is said, with the file's path — never taken for "there is
no record", which would leave what the record names (a process, a pool) unfound and running."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockerctl.errors import StateUnwritable


class CorruptRecord(StateUnwritable):
    """A record of dockerctl's that is there but cannot be read back."""

    def __init__(self, path: Path, why: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"the record {path} cannot be read ({why})",
            hint=hint
            or "remove it once what it names is gone (`dockerctl down --lab LAB` ends what it can find)",
        )
        self.path = path
        self.why = why


def read_record(path: Path) -> Any | None:
    """The JSON in `path`; None when there is no such file; CorruptRecord when it is there but unreadable
    or not JSON."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptRecord(path, getattr(exc, "strerror", None) or str(exc)) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CorruptRecord(path, f"not JSON: {exc}" if text.strip() else "empty") from None
