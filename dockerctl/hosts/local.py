"""This machine: commands through subprocess, files read directly."""

from __future__ import annotations

import errno
import fcntl
import os
import shlex
import shutil
import signal
import stat as stat_
import subprocess  # nosec B404  # the one place processes start; argv lists only, never a shell
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockerctl.errors import EngineUnavailable, StateUnwritable
from dockerctl.hosts.base import Completed, FileStat, Host, ProcessId

# The starter `start_daemon` runs (python -I -S: no site, no environment of Python's own; a few ms): it
# spawns argv in a session of its own (posix_spawn: no fork of a threaded process), stdout onto its
# stderr (the log), reads the daemon's start time while the daemon is still its child (so the pid cannot
# have been reused yet, even by a daemon that died at once), writes "PID START" and exits, leaving the
# daemon to init. The signals Python ignores (SIGPIPE, SIGXFSZ) are the daemon's defaults again, as
# subprocess does. A program that cannot be executed: its reason, to the log and to the report.
_STARTER = """\
import os, signal, sys
try:
    pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, setsid=True,
                          setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
                          file_actions=[(os.POSIX_SPAWN_DUP2, 2, 1)])
except OSError as exc:
    print(f"{sys.argv[1]}: {exc.strerror}", file=sys.stderr, flush=True)
    print(exc.strerror, flush=True)
    sys.exit(1)
with open(f"/proc/{pid}/stat") as stat:
    print(pid, stat.read().rpartition(")")[2].split()[19], flush=True)
"""


@dataclass(frozen=True)
class Daemon:
    """A daemon `start_daemon` started, known by its identity (pid and start time), not as a child."""

    host: LocalHost
    process: ProcessId

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        """Whether it still runs (False at once for one that died at start: read its log)."""
        return self.host.running(self.process)

    def until(self, ready: Callable[[], bool], timeout: float, *, every: float = 0.1) -> bool:
        """Wait up to `timeout` seconds for `ready()` (looked at every `every` seconds), no longer than
        the daemon runs: one that has ended died at start (its log says why). → whether it became ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return True
            if not self.running():
                return False
            time.sleep(every)
        return False

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for it to end by itself. → whether it has."""
        return not self.host.wait_ended([self.process], timeout)

    def end(self, *, wait: float = 10, kill: float = 5) -> bool:
        """SIGTERM, SIGKILL if it outlives `wait` (only this very process). → whether it is gone."""
        return not self.host.end_processes([self.process], wait=wait, kill=kill)


def run_local(
    argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None, cwd: str | None = None
) -> Completed:
    argv = tuple(argv)
    if shutil.which(argv[0]) is None:
        return Completed(argv, None, "", f"{argv[0]}: not installed")
    try:
        done = subprocess.run(  # nosec B603  # an argv list from dockerctl's own code, no shell
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Completed(argv, None, "", str(exc))
    return Completed(argv, done.returncode, done.stdout, done.stderr)


class LocalHost(Host):
    kind = "local"
    local_files = local_network = True

    def __init__(self, name: str = "this machine") -> None:
        super().__init__(name)

    # -- long-lived processes: dockerctl's daemons start, are found and end here ------------------
    def prefix(self) -> list[str]:
        """What runs a command on this host from this machine (nothing: here)."""
        return []

    def start_daemon(self, argv: Sequence[str], *, log: Path | None) -> Daemon:
        """Start a daemon on this host: the one way dockerctl starts a process that outlives the command.

        It runs in a session of its own, stdin closed, output appended to `log` (opened here, never
        through a symlink) or dropped, and it is not this process's child: a short-lived starter spawns
        it and exits, so a daemon that dies is never left a zombie of a long-lived caller (the test run,
        an exporter). No shell: argv goes to exec as it is, behind this host's prefix. → the daemon, by
        its identity (`running()` says at once whether it died). A program that cannot be executed at all
        is EngineUnavailable, its reason in the log too."""
        argv = [*self.prefix(), *argv]
        out = self._open_log(log, argv[0])
        with os.fdopen(out, "ab") as sink:
            try:
                # its own session: the terminal's Ctrl-C reaches dockerctl, never the starter half-way
                starter = subprocess.Popen(  # nosec B603  # an argv list from dockerctl's own code, no shell
                    [sys.executable, "-I", "-S", "-c", _STARTER, *argv],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=sink, close_fds=True,
                    start_new_session=True,
                )  # fmt: skip
            except OSError as exc:
                raise EngineUnavailable(f"{shlex.join(argv)} could not be started: {exc}") from None
        try:
            starter.wait(timeout=30)  # its few bytes fit the pipe: read once it has exited
        except subprocess.TimeoutExpired:
            self._abandon(starter)
            raise EngineUnavailable(f"{shlex.join(argv)} could not be started: its starter hung") from None
        except BaseException:  # interrupted (Ctrl-C, a signal): nothing may run that no record names
            self._abandon(starter)
            raise
        raw = self._said(starter)
        report = raw.decode(errors="replace").split()
        if starter.returncode != 0 or len(report) != 2 or not all(f.isdigit() for f in report):
            why = raw.decode(errors="replace").strip() or f"its starter exited {starter.returncode}"
            raise EngineUnavailable(f"{shlex.join(argv)} could not be started: {why}")
        return Daemon(self, ProcessId(int(report[0]), int(report[1])))

    @staticmethod
    def _open_log(log: Path | None, program: str) -> int:
        """The fd a daemon writes to: `log` appended to (made if absent, never through a symlink, only a
        regular file: a FIFO there would block the start) or /dev/null."""
        if log is None:
            return os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(
                log,
                os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK,
                0o644,
            )
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # a FIFO with no reader (O_NONBLOCK): no log file either
                raise StateUnwritable(
                    f"the log {log} is not a regular file: {program} was not started",
                    hint="remove what stands at that path and run again",
                ) from None
            hint = (
                "remove it (a symlink there is never followed) and run again"
                if exc.errno == errno.ELOOP
                else ""
            )
            raise StateUnwritable(
                f"the log {log} cannot be opened ({exc.strerror}): {program} was not started", hint=hint
            ) from None
        if not stat_.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StateUnwritable(
                f"the log {log} is not a regular file: {program} was not started",
                hint="remove what stands at that path and run again",
            )
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return fd

    def _abandon(self, starter: subprocess.Popen[bytes]) -> None:
        """A start cut short: let the starter finish (a few ms; it is in a session of its own), then end
        the daemon it reported, so none runs that no record names. A starter that hangs is killed."""
        try:
            starter.wait(timeout=5)
        except subprocess.TimeoutExpired:
            starter.kill()
            starter.wait()
        report = self._said(starter).decode(errors="replace").split()
        if starter.returncode == 0 and len(report) == 2 and all(f.isdigit() for f in report):
            self.end_processes([ProcessId(int(report[0]), int(report[1]))], wait=5, kill=2)

    @staticmethod
    def _said(starter: subprocess.Popen[bytes]) -> bytes:
        """What an exited starter wrote ("PID START", or why the program could not run)."""
        if starter.stdout is None:
            return b""
        with starter.stdout:
            return starter.stdout.read()

    def signal_all(self, pids: Sequence[int], sig: int, wait: float) -> list[int]:
        """Send `sig` to each of `pids` (0: none, only wait), then wait up to `wait` seconds for them to
        end. For processes the caller has just found to be its own. → those still running."""
        seen = [p for p in (self.identity(pid) for pid in pids) if p is not None]
        return [p.pid for p in self.signal_processes(seen, sig, wait)]

    def signal_processes(self, processes: Sequence[ProcessId], sig: int, wait: float) -> list[ProcessId]:
        """`sig` to each of those processes still running as they were seen (0: none, only wait), then
        wait up to `wait` seconds for them to end. → those still running."""
        for process in processes:
            if sig:
                self.send_signal(process, sig)
        return self.wait_ended(processes, wait)

    def send_signal(self, process: ProcessId, sig: int) -> bool:
        """`sig` to that very process, if it still runs: its pidfd is opened first, then its identity
        checked, so a pid another process took meanwhile is never signalled. → whether it was sent."""
        try:
            fd = os.pidfd_open(process.pid)
        except ProcessLookupError:
            return False
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # not a process (a thread's id): nothing of ours to signal
                return False
            # no pidfd here (a kernel before 5.3, a seccomp filter): the identity checked just before
            if self.identity(process.pid) != process:
                return False
            try:
                os.kill(process.pid, sig)
            except ProcessLookupError:
                return False
            return True
        try:
            if self.identity(process.pid) != process:
                return False
            signal.pidfd_send_signal(fd, sig)
            return True
        except ProcessLookupError:
            return False
        finally:
            os.close(fd)

    def end_all(self, pids: Sequence[int], *, wait: float = 10, kill: float = 5) -> list[int]:
        """SIGTERM to each of `pids`, SIGKILL to those that outlive `wait`: each as it runs now, never a
        process that takes one of those pids meanwhile. → those still running."""
        seen = [p for p in (self.identity(pid) for pid in pids) if p is not None]
        return [p.pid for p in self.end_processes(seen, wait=wait, kill=kill)]

    def end_processes(
        self, processes: Sequence[ProcessId], *, wait: float = 10, kill: float = 5
    ) -> list[ProcessId]:
        """SIGTERM to each of those processes, SIGKILL to those that outlive `wait`. → those still running."""
        return self.signal_processes(
            self.signal_processes(processes, signal.SIGTERM, wait), signal.SIGKILL, kill
        )

    def owned(self, pid: int, running: Callable[[], int | None]) -> ProcessId | None:
        """Process `pid` as it runs now, while `running()` (its ownership check) names it — its identity
        taken first, so the check is of that very process (None: gone, or not ours)."""
        process = self.identity(pid)
        return process if process is not None and running() == pid else None

    def end(self, pid: int, running: Callable[[], int | None], *, wait: float = 10, kill: float = 5) -> bool:
        """SIGTERM to `pid`, SIGKILL if it outlives `wait` — each only while `running()` (its ownership
        check) still names it, and only to the process it named first. → whether it is gone."""
        process = self.owned(pid, running)
        for sig, limit in ((signal.SIGTERM, wait), (signal.SIGKILL, kill)):
            if process is None or running() != pid or not self.send_signal(process, sig):
                break
            if not self.wait_ended([process], limit):
                break
        return process is None or not self.running(process)

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        return run_local(argv, timeout=timeout, stdin=stdin)

    def read_text(self, path: str) -> str | None:
        try:
            return Path(path).read_text()
        except (OSError, UnicodeDecodeError):
            return None

    def read_link(self, path: str) -> str | None:
        try:
            return os.readlink(path)
        except OSError:
            return None

    def list_dir(self, path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(path))
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def stat(self, path: str) -> FileStat | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if stat_.S_ISBLK(st.st_mode):
            kind = "block"
        elif stat_.S_ISDIR(st.st_mode):
            kind = "directory"
        elif stat_.S_ISREG(st.st_mode):
            kind = "file"
        else:
            kind = "other"
        return FileStat(
            kind,
            (os.major(st.st_rdev), os.minor(st.st_rdev)),
            (os.major(st.st_dev), os.minor(st.st_dev)),
            st.st_ino,
            st.st_ctime,
        )

    def page_size(self) -> int:
        return os.sysconf("SC_PAGE_SIZE")

    def cmdlines(self) -> dict[int, tuple[str, ...]]:
        out: dict[int, tuple[str, ...]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                raw = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            out[int(entry)] = tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)
        return out
