"""The lab lock: two `play`/`down` runs of the same lab never interleave.

One lock file per lab under the state directory, held with flock(2) for the whole run: the kernel
releases it when the holder exits or is killed, so a lock can never outlive its process. Beside it, a
small holder record (pid, command, start) lets the second run name the holder, and lets a run that
finds the lock free but a record of a process that is gone say it took a stale lock over.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from dockerctl.engines.signals import reached
from dockerctl.errors import Conflict, StateUnwritable
from dockerctl.hosts import LocalHost, state
from dockerctl.hosts.records import CorruptRecord

# who holds a lab's lock: `<state>/locks/<lab>.holder` (pid, command, since) — for messages only
HOLDERS: state.Records[dict[str, Any]] = state.Records(
    "lock holder record", state.LOCKS, dict, dict, name="{}.holder"
)


def _holder(lab: str) -> dict[str, Any]:
    """The holder the lab's record names ({}: none, or a record that cannot be read: it only names)."""
    try:
        return HOLDERS.load(lab) or {}
    except CorruptRecord:
        return {}


def _alive(pid: object) -> bool:
    return isinstance(pid, int) and pid > 0 and LocalHost().alive(pid)


def _describe(holder: dict[str, object]) -> str:
    since = holder.get("since")
    when = time.strftime("%H:%M:%S", time.localtime(float(since))) if isinstance(since, int | float) else "?"
    return f"pid {holder.get('pid', '?')} (`{holder.get('command', '?')}`, since {when})"


@contextlib.contextmanager
def lab_lock(lab: str, *, wait: float = 0, notes: list[str] | None = None) -> Iterator[None]:
    """Hold the lab's lock for the block; wait up to `wait` seconds for another holder, else refuse."""
    lock_path = state.writable(state.LOCKS) / f"{lab}.lock"
    # held open for the whole block; a symlink at the lock's name is refused (ELOOP), never followed
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StateUnwritable(
            f"the lock file {lock_path} cannot be opened ({exc.strerror}): dockerctl will not use it",
            hint="remove it (a symlink there is never followed) and run again",
        ) from None
    handle: IO[str] = os.fdopen(fd, "a+")
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                reached("lock:waiting")
                if time.monotonic() >= deadline:
                    raise Conflict(
                        f"lab {lab} is being changed by {_describe(_holder(lab))}",
                        hint=f"wait for it, or pass --wait SECONDS (this run waited {wait:g}s)",
                    ) from None
                time.sleep(0.2)
        previous = _holder(lab)
        if (
            previous
            and previous.get("pid") != os.getpid()
            and not _alive(previous.get("pid"))
            and notes is not None
        ):
            notes.append(f"took over the lock of lab {lab} left by {_describe(previous)}, which is gone")
        HOLDERS.save(
            lab, {"pid": os.getpid(), "command": " ".join(["dockerctl", *sys.argv[1:]]), "since": time.time()}
        )
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                HOLDERS.forget(lab)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
