"""Ctrl-C and SIGTERM end a run the same way — what the run made is removed — and the removal itself is
never cut short by a second signal: it is deferred until the cleanup is done.

They arrive as `Interrupted`, not KeyboardInterrupt: the CLI framework turns a KeyboardInterrupt into a
silent exit, and a run that was stopped must say so."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised where the main thread is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM, as shells report them


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install_handlers() -> None:
    """From here on SIGINT and SIGTERM raise Interrupted: every run cleans up for them."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _raise)
        signal.signal(signal.SIGTERM, _raise)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Defer SIGINT and SIGTERM for the block (a cleanup), then deliver what arrived meanwhile."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    old = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if pending:
            raise Interrupted(signal.SIGTERM if signal.SIGTERM in pending else signal.SIGINT)
