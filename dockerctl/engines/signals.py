"""Ctrl-C and SIGTERM end a run the same way — what the run made is removed — and the removal itself is
never cut short by a second signal: it is deferred until the cleanup is done.

They arrive as `Interrupted`, not KeyboardInterrupt: the CLI framework turns a KeyboardInterrupt into a
silent exit, and a run that was stopped must say so — and say what it did before it stopped. That is known
only where the work is, so the code that knows writes it on the exception (`outcome`, or `on_stop` for a
block); the CLI prints it, and claims nothing when no code said anything."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

from dockerctl.errors import ExitCode


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised where the main thread is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.outcome: str | None = None  # what the run had done when it stopped, said by the code that knows

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM (128 + the signal, as shells report them)."""
        return int(ExitCode.TERMINATED if self.signum == signal.SIGTERM else ExitCode.INTERRUPTED)


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


@contextlib.contextmanager
def on_stop(outcome: str) -> Iterator[None]:
    """A signal that ends the block tells the user `outcome` — unless code inside said something more
    precise (the innermost word stands)."""
    try:
        yield
    except Interrupted as stop:
        if stop.outcome is None:
            stop.outcome = outcome
        raise


PHASES_ENV = "DOCKERCTL_TEST_PHASES"  # a file: each phase reached is appended, one per line
PAUSE_ENV = "DOCKERCTL_TEST_PAUSE_AT"  # a phase: the run waits there (at most PAUSE_S) for a signal
# (SIGINT/SIGTERM as always; SIGUSR1 only ends the wait)


PAUSE_S = 20.0


def reached(phase: str) -> None:
    """A test hook, inert unless DOCKERCTL_TEST_PHASES is set: note that the run reached `phase`, and if
    DOCKERCTL_TEST_PAUSE_AT names it, wait there, so a test's signal lands in this phase on any machine
    however fast or busy (a signal ends the wait at once — SIGUSR1 only the wait; a test that sends none costs PAUSE_S)."""
    log = os.environ.get(PHASES_ENV)
    if not log:
        return
    pause = os.environ.get(PAUSE_ENV) == phase
    main = threading.current_thread() is threading.main_thread()
    # SIGUSR1 ends the pause: its handler is in place before the phase is noted (a test reads the note)
    previous = signal.signal(signal.SIGUSR1, _raise_resume) if pause and main else None
    try:
        with open(log, "a", encoding="utf-8") as f:
            f.write(phase + "\n")
        if pause:
            time.sleep(PAUSE_S)  # SIGINT/SIGTERM end it as always; SIGUSR1 lets the run go on
    except _Resume:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)


class _Resume(BaseException):  # raised by a signal handler, like Interrupted: no `except Exception` takes it
    pass


def _raise_resume(signum: int, frame: FrameType | None) -> None:
    raise _Resume
