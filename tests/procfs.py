"""What the daemon tests read of processes in /proc (unit and integration alike)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (state first, then the parent), None: gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def zombie_children() -> list[int]:
    """Processes of this test run that have exited and are waiting to be reaped by it."""
    out = []
    for entry in os.listdir("/proc"):
        fields = stat_fields(int(entry)) if entry.isdigit() else None
        if fields and fields[0] == "Z" and int(fields[1]) == os.getpid():
            out.append(int(entry))
    return out


def becomes_sleep(pid: int) -> bool:
    """Whether process `pid` runs `sleep 30` within 2 s (a prefix execs it a moment after it starts)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\x0030\x00":
            return True
        time.sleep(0.02)
    return False
