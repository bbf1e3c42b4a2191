"""The `Host` every kernel reader goes through: run a command, read a file, enter a process's namespaces.

How a command reaches the host is the subclass's business (testinfra's backends, pyinfra's connectors):
this machine, a network namespace on it, a machine over ssh, a captured file tree. The generic
implementations here go through `run` alone, so a new kind of host needs nothing but `run`; the local
kinds read files directly because that is faster.
"""

from __future__ import annotations

import shlex
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from dockerctl.errors import DockerctlError, ExitCode


class KernelUnreachable(DockerctlError):
    """The engine answers, but its kernel cannot be read from here (e.g. an engine reached over TCP)."""

    exit_code = ExitCode.KERNEL_UNREACHABLE


@dataclass(frozen=True)
class Completed:
    """One command as run on a host."""

    argv: tuple[str, ...]
    returncode: int | None  # None: the command could not be started at all
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()

    @property
    def shown(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class FileStat:
    """What `stat` says about a path: its type, the device it is (block devices) and the one it is on."""

    kind: str  # "block", "directory", "file", "other"
    rdev: tuple[int, int]  # MAJ, MIN of a device node
    dev: tuple[int, int]  # MAJ, MIN of the filesystem holding it
    ino: int = 0  # the inode: with `dev`, the file's identity whatever path reaches it
    changed: float = 0.0  # ctime, seconds since the epoch (whole seconds when read through `stat -c`)


@dataclass(frozen=True)
class ProcessId:
    """A process as it was seen: its pid and when it started (clock ticks after boot, field 22 of
    /proc/PID/stat). A pid is reused once its process has gone; the pair is not, so a process dockerctl
    signals is the one whose identity it took, never whichever took its pid since. (`end_all` and
    `signal_all` take the identity just after the caller's ownership check of a bare pid: a pid reused
    in that instant is the one window left; `owned()` and `Daemon` have none.)"""

    pid: int
    started: int


# one line per process: "<pid>\x1f<arg0>\x1f<arg1>…" — /proc read by the host's own shell
_CMDLINES = (
    'for d in /proc/[0-9]*; do [ -r "$d/cmdline" ] || continue; '
    "printf '%s\\037' \"${d#/proc/}\"; tr '\\000' '\\037' < \"$d/cmdline\" 2>/dev/null; echo; done"
)


class Host(ABC):
    """Where a kernel is read. `name` says which, in every piece of evidence."""

    kind: str = "host"
    readable: bool = True  # False only for an engine whose kernel cannot be reached from here
    local_files: bool = False  # its files are this machine's (a directory made here is the host's)
    local_network: bool = False  # this machine's own network stack: an address it listens on answers here

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- the one primitive ----------------------------------------------------------------------
    @abstractmethod
    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        """Run argv on the host; never raises for a failing command (look at `returncode`)."""

    # -- derived readers (override where there is a faster way) -----------------------------------
    def read_text(self, path: str) -> str | None:
        """The file's text, or None when it does not exist or cannot be read."""
        done = self.run(["cat", "--", path])
        return done.stdout if done.ok else None

    def read_link(self, path: str) -> str | None:
        done = self.run(["readlink", "--", path])
        return done.stdout.strip() if done.ok else None

    def list_dir(self, path: str) -> list[str] | None:
        """Names in a directory (sorted), or None when it is not a readable directory."""
        done = self.run(["ls", "-1A", "--", path])
        return sorted(done.stdout.split("\n")[:-1]) if done.ok else None

    def exists(self, path: str) -> bool:
        return self.run(["test", "-e", path]).ok

    def realpath(self, path: str) -> str:
        done = self.run(["realpath", "-m", "--", path])
        return done.stdout.strip() if done.ok else path

    def is_dir(self, path: str) -> bool:
        return self.run(["test", "-d", path]).ok

    def stat(self, path: str) -> FileStat | None:
        done = self.run(["stat", "-L", "-c", "%F|%t|%T|%d|%i|%Z", "--", path])
        if not done.ok:
            return None
        kind, major, minor, dev, ino, changed = done.stdout.strip().split("|")
        d = int(dev)
        return FileStat(
            _kind(kind),
            (int(major, 16), int(minor, 16)),
            ((d >> 8) & 0xFFF, (d & 0xFF) | ((d >> 12) & 0xFFF00)),
            int(ino),
            float(changed),
        )

    def page_size(self) -> int:
        done = self.run(["getconf", "PAGESIZE"])
        return int(done.stdout.strip()) if done.ok else 4096

    def cmdlines(self) -> dict[int, tuple[str, ...]]:
        """pid → argv of every process the host shows."""
        done = self.run(["sh", "-c", _CMDLINES], timeout=30)
        out: dict[int, tuple[str, ...]] = {}
        for line in done.stdout.splitlines():
            pid, _, rest = line.partition("\x1f")
            if pid.isdigit():
                out[int(pid)] = tuple(a for a in rest.split("\x1f") if a)
        return out

    def identity(self, pid: int) -> ProcessId | None:
        """Process `pid` as it runs now (None: there is none, or a zombie: one that has exited)."""
        stat = self.read_text(f"/proc/{pid}/stat") if pid > 0 else None
        fields = stat.rpartition(")")[2].split() if stat else []
        if len(fields) < 20 or fields[0] == "Z" or not fields[19].isdigit():
            return None
        return ProcessId(pid, int(fields[19]))

    def alive(self, pid: int) -> bool:
        """Whether process `pid` runs: it exists and is not a zombie (one that has exited)."""
        return self.identity(pid) is not None

    def running(self, process: ProcessId) -> bool:
        """Whether that very process still runs (not another that has taken its pid since)."""
        return self.identity(process.pid) == process

    def wait_gone(self, pids: Sequence[int], timeout: float) -> list[int]:
        """Wait up to `timeout` seconds for `pids` to end (looking first). → those still running."""
        seen = [p for p in (self.identity(pid) for pid in pids) if p is not None]
        return [p.pid for p in self.wait_ended(seen, timeout)]

    def wait_ended(self, processes: Sequence[ProcessId], timeout: float) -> list[ProcessId]:
        """Wait up to `timeout` seconds for those processes to end (looking first; one whose pid another
        process has taken since has ended). → those still running."""
        deadline = time.monotonic() + timeout
        left = [p for p in processes if self.running(p)]
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = [p for p in left if self.running(p)]
        return left

    def owned_pid(self, pid: int | str | None, program: str, *marks: str) -> int | None:
        """`pid` (a number, or the path of a pid file) while it is a live process of ours: not a zombie,
        running `program` (a name its argv[0] contains) with every mark (a path of its own) in its command
        line. A pid file outlives its process and a pid is reused: dockerctl never trusts one alone."""
        if isinstance(pid, str):
            text = self.read_text(pid)
            pid = int(text.strip()) if text and text.strip().isdigit() else None
        if pid is None or pid <= 0:
            return None
        cmdline, stat = self.read_text(f"/proc/{pid}/cmdline"), self.read_text(f"/proc/{pid}/stat")
        if not cmdline or not stat:
            return None  # gone, or a zombie (whose command line is empty)
        fields = stat.rpartition(")")[2].split()
        argv = [a for a in cmdline.split("\0") if a]
        if not fields or fields[0] == "Z" or not argv or program not in argv[0].rsplit("/", 1)[-1]:
            return None
        return pid if all(any(m in a for a in argv) for m in marks) else None

    def nsenter(
        self, pid: int, argv: Sequence[str], *, net: bool = True, uts: bool = False, timeout: float = 10
    ) -> Completed:
        """Run argv inside namespaces of process `pid` (nsenter, never `ip netns exec`: that re-mounts /sys)."""
        flags = [f"--net=/proc/{pid}/ns/net"] if net else []
        if uts:
            flags.append(f"--uts=/proc/{pid}/ns/uts")
        return self.run(["nsenter", *flags, "--", *argv], timeout=timeout)

    def close(self) -> None:  # noqa: B027 (a no-op unless the kind holds a connection)
        """Release connections (an ssh master); the host itself is left as it is."""


def _kind(text: str) -> str:
    text = text.lower()
    if "block" in text:
        return "block"
    if "directory" in text:
        return "directory"
    if "regular" in text:
        return "file"
    return "other"
