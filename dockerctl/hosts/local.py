"""This machine: commands through subprocess, files read directly."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat as stat_
import subprocess  # nosec B404  # the one place processes start; argv lists only, never a shell
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from dockerctl.hosts.base import Completed, FileStat, Host


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

    def spawn(self, argv: Sequence[str], *, log: Path | None) -> subprocess.Popen[bytes]:
        """Start a daemon on this host, detached (its own session, stdin closed, output appended to `log`
        or dropped): it outlives the command that started it. → the process (poll() says whether it died
        at once)."""
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
        # appended to, never truncated; a symlink at the log's name is refused (ELOOP), never followed
        flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | (os.O_CREAT | os.O_NOFOLLOW if log else 0)
        with os.fdopen(os.open(log or os.devnull, flags, 0o644), "ab") as out:
            return subprocess.Popen(  # nosec B603  # an argv list from dockerctl's own code, no shell
                [*self.prefix(), *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True, close_fds=True,
            )  # fmt: skip

    def start_detached(self, argv: Sequence[str], *, log: Path | None) -> Completed:
        """Start a daemon that is not this process's child: a shell starts it in a session of its own and
        exits at once, so the daemon never lingers as a zombie of a long-lived caller (the test run, an
        exporter) and outlives the command that started it. Output is appended to `log` or dropped."""
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
        script = 'setsid "$@" >>"$0" 2>&1 </dev/null &'
        return self.run(["sh", "-c", script, str(log or os.devnull), *self.prefix(), *argv])

    def signal_all(self, pids: Sequence[int], sig: int, wait: float) -> list[int]:
        """Send `sig` to each of `pids` (0: none, only wait), then wait up to `wait` seconds for them to
        end. For processes the caller has just found to be its own. → those still running."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return self.wait_gone(pids, wait)

    def end_all(self, pids: Sequence[int], *, wait: float = 10, kill: float = 5) -> list[int]:
        """SIGTERM to each of `pids`, SIGKILL to those that outlive `wait`. → those still running."""
        return self.signal_all(self.signal_all(pids, signal.SIGTERM, wait), signal.SIGKILL, kill)

    def end(self, pid: int, running: Callable[[], int | None], *, wait: float = 10, kill: float = 5) -> bool:
        """SIGTERM to `pid`, SIGKILL if it outlives `wait` — each only while `running()` (its ownership
        check) still names it. → whether it is gone."""
        for sig, limit in ((signal.SIGTERM, wait), (signal.SIGKILL, kill)):
            if running() != pid:
                return True
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + limit
            while running() == pid and time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # reap it if this process started it
                time.sleep(0.1)
        return running() != pid

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
