"""What the user asked for, per container: the creation label plus later `dockerctl update`s.

Labels cannot change on an existing container, so an update's request is kept in a small JSON record
per container id (`<state>/requested/<container id>.json`); cleanup removes it with the container.
"""

from __future__ import annotations

from typing import Any

from dockerctl.hosts import state

RECORDS: state.Records[dict[str, Any]] = state.Records(
    "record of requested limits", state.REQUESTED, dict, dict
)

# container id → what was asked (None: no record; CorruptRecord: one that cannot be read back)
save, load, forget = RECORDS.save, RECORDS.load, RECORDS.forget
