"""The one error root of dockerctl and the exit codes it maps to.

Every error says what was wrong, where (a flag, a playbook file:line, an engine URL) and what would be
right. The CLI turns them into one line on stderr and the exit code below; nothing prints a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code dockerctl gives, one meaning each: `dockerctl --help` lists them (EXIT_CODES, its
    "Exit codes:" epilog) and the README's table is checked against them."""

    OK = 0
    CHECK_FAILED = 1  # everything ran, but a verified effect does not hold on this kernel
    USAGE = 2  # bad input: nothing was created or changed (typer's own usage errors use 2 as well)
    ENGINE_UNAVAILABLE = 3  # no engine answers, or its socket refuses this user (permission denied)
    NOT_FOUND = 4  # a container, image or network named does not exist
    CONFLICT = 5  # a name already in use, a resource in use
    ENGINE_ERROR = 6  # the engine failed (5xx after retries) or refused for a reason of its own
    KERNEL_UNREACHABLE = 7  # the engine answers, but its kernel cannot be read from here (-H tcp://)
    STATE_UNWRITABLE = 8  # the state directory (lab records, locks) cannot be written: nothing was changed
    INTERRUPTED = 130  # SIGINT (Ctrl-C): what the run made is removed; it says what it had done
    TERMINATED = 143  # SIGTERM: the same as Ctrl-C


# each code's meaning, as `dockerctl --help` prints it (short: one line of the epilog each)
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "success: every check holds",
    ExitCode.CHECK_FAILED: "everything ran, but a checked effect does not hold",
    ExitCode.USAGE: "bad input (flag, file:line): nothing was changed",
    ExitCode.ENGINE_UNAVAILABLE: "no engine answers, or its socket refuses this user",
    ExitCode.NOT_FOUND: "a container, image, network or volume is not there",
    ExitCode.CONFLICT: "a name already in use, a resource in use",
    ExitCode.ENGINE_ERROR: "the engine failed or refused",
    ExitCode.KERNEL_UNREACHABLE: "its kernel cannot be read from here (-H tcp://)",
    ExitCode.STATE_UNWRITABLE: "state directory not writable: nothing was changed",
    ExitCode.INTERRUPTED: "SIGINT (Ctrl-C): what the run made is removed",
    ExitCode.TERMINATED: "SIGTERM: what the run made is removed",
}


def exit_code_table() -> str:
    """The "Exit codes:" lines of `dockerctl --help`, one per ExitCode, code first."""
    return "\n".join(f"{int(code):>3}  {EXIT_CODES[code]}" for code in ExitCode)


class DockerctlError(Exception):
    """Root of every error dockerctl raises on purpose."""

    exit_code: ExitCode = ExitCode.ENGINE_ERROR

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class InvalidInput(DockerctlError):
    """Input that cannot be right. `field` names the spec field, `where` the flag or file:line."""

    exit_code = ExitCode.USAGE

    def __init__(
        self, message: str, *, field: str | None = None, where: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, where=where, hint=hint)
        self.field = field


class EngineUnavailable(DockerctlError):
    exit_code = ExitCode.ENGINE_UNAVAILABLE


class NotFound(DockerctlError):
    exit_code = ExitCode.NOT_FOUND


class Conflict(DockerctlError):
    exit_code = ExitCode.CONFLICT


class EngineError(DockerctlError):
    exit_code = ExitCode.ENGINE_ERROR


class StateUnwritable(DockerctlError):
    exit_code = ExitCode.STATE_UNWRITABLE
