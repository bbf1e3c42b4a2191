"""Find a process's cgroups and read limits from them — cgroup v1, v2 and hybrid hosts alike.

The cgroup directory is never guessed from a container id: it is found from /proc/<pid>/cgroup and the
mount table. For each controller the hierarchy that holds it decides the file names: a v1 hierarchy
(`memory.limit_in_bytes`) when the controller is mounted as v1, else the unified v2 hierarchy
(`memory.max`). So hybrid hosts (v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified, as
on this project's machines) and pure v2 hosts go through the same code.

Every file is read through a `Host`: this machine, a machine over ssh, or a captured tree — the unit
tests read a real cgroup v2 directory captured from a v2 host with exactly this code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from dockerctl.errors import DockerctlError, ExitCode
from dockerctl.hosts import Host, LocalHost
from dockerctl.observe.mounts import Mount, parse_mountinfo

V1_CONTROLLERS = frozenset(
    [
        "cpu",
        "cpuacct",
        "cpuset",
        "memory",
        "devices",
        "freezer",
        "net_cls",
        "net_prio",
        "blkio",
        "perf_event",
        "hugetlb",
        "pids",
        "rdma",
        "misc",
    ]
)
# v1 shows "unlimited" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages); anything this
# large is not a limit a machine could have.
V1_UNLIMITED_FROM = 2**62


class CgroupNotFound(DockerctlError):
    """The process is gone, or its cgroup is not visible through this mount table."""

    exit_code = ExitCode.KERNEL_UNREACHABLE


@dataclass(frozen=True)
class Hierarchy:
    version: int  # 1 or 2
    mount_point: PurePosixPath  # as the host sees it
    root: str  # the cgroup path that is the mount's root (usually "/")
    controllers: frozenset[str]


@dataclass(frozen=True)
class ProcCgroupLine:
    hierarchy_id: int
    controllers: frozenset[str]  # empty for the v2 line "0::/path"
    path: str


@dataclass(frozen=True)
class CgroupDir:
    """Where one controller's files for one process live."""

    controller: str
    version: int
    path: PurePosixPath


def parse_proc_cgroup(text: str) -> list[ProcCgroupLine]:
    lines = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        hid, controllers, path = raw.split(":", 2)
        names = frozenset(c for c in controllers.split(",") if c)
        lines.append(ProcCgroupLine(int(hid), names, path))
    return lines


class CgroupReader:
    """Cgroup lookups on one host (this machine by default; a captured tree in the unit tests).

    A reader serves one operation (a scrape, a check, a refresh): the host's cgroup mounts are read once
    per reader — with a hundred containers, mountinfo is long and was read thousands of times a scrape."""

    def __init__(self, host: Host | None = None) -> None:
        self.host: Host = host or LocalHost()
        self._hierarchies: list[Hierarchy] | None = None
        self._lines: dict[str, list[ProcCgroupLine]] = {}  # pid → its /proc/<pid>/cgroup, read once

    def read(self, path: PurePosixPath | str) -> str | None:
        return self.host.read_text(str(path))

    def mounts(self) -> list[Mount]:
        return parse_mountinfo(self.read("/proc/self/mountinfo") or "")

    def hierarchies(self) -> list[Hierarchy]:
        if self._hierarchies is None:
            self._hierarchies = self._read_hierarchies()
        return list(self._hierarchies)

    def _read_hierarchies(self) -> list[Hierarchy]:
        out = []
        for m in self.mounts():
            if m.fstype == "cgroup":
                names = frozenset(o for o in m.super_options if o in V1_CONTROLLERS or o.startswith("name="))
                out.append(Hierarchy(1, PurePosixPath(m.mount_point), m.root, names))
            elif m.fstype == "cgroup2":
                mp = PurePosixPath(m.mount_point)
                listed = self.read(mp / "cgroup.controllers") or ""
                out.append(Hierarchy(2, mp, m.root, frozenset(listed.split())))
        return out

    def version(self) -> int:
        """2 on a pure v2 host (cgroup2 at /sys/fs/cgroup), else 1 (v1 or hybrid)."""
        for m in self.mounts():
            if m.mount_point == "/sys/fs/cgroup" and m.fstype == "cgroup2":
                return 2
        return 1 if any(h.version == 1 for h in self.hierarchies()) else 2

    def locate(self, pid: int | str, controller: str) -> CgroupDir:
        """The directory holding `controller`'s files for process `pid` (or "self")."""
        lines = self._lines.get(str(pid))
        if lines is None:
            text = self.read(f"/proc/{pid}/cgroup")
            if text is None:
                raise CgroupNotFound(
                    f"process {pid} does not exist on {self.host.name} (no /proc/{pid}/cgroup)"
                )
            lines = self._lines[str(pid)] = parse_proc_cgroup(text)
        hierarchies = self.hierarchies()
        for line in lines:  # a v1 hierarchy holding the controller wins
            if controller in line.controllers:
                for h in hierarchies:
                    if h.version == 1 and controller in h.controllers:
                        return CgroupDir(controller, 1, self._join(h, line.path, pid))
        for line in lines:
            if line.hierarchy_id == 0 and not line.controllers:
                for h in hierarchies:
                    if h.version == 2 and (controller in h.controllers or not controller):
                        return CgroupDir(controller, 2, self._join(h, line.path, pid))
        raise CgroupNotFound(
            f"no mounted cgroup hierarchy holds the {controller!r} controller of process {pid}"
        )

    def _join(self, h: Hierarchy, path: str, pid: int | str) -> PurePosixPath:
        root = h.root.rstrip("/")
        if root and not (path == root or path.startswith(root + "/")):
            raise CgroupNotFound(
                f"cgroup {path} of process {pid} lies outside the mount of {h.mount_point} (root {h.root})"
            )
        rel = path[len(root) :].lstrip("/")
        return h.mount_point / rel if rel else h.mount_point


@dataclass(frozen=True)
class Reading:
    """One cgroup file as read: the evidence behind a check."""

    path: str
    raw: str | None  # None: the file does not exist

    @property
    def present(self) -> bool:
        return self.raw is not None

    @property
    def text(self) -> str:
        return (self.raw or "").strip()

    def as_limit(self) -> int | None:
        """A limit file's value in bytes (or count); None means unlimited ("max", or v1's huge value)."""
        value = self.text
        if value == "max":
            return None
        number = int(value)
        if number >= V1_UNLIMITED_FROM or number < 0:
            return None
        return number


def read_file(reader: CgroupReader, directory: PurePosixPath, name: str) -> Reading:
    path = directory / name
    return Reading(str(path), reader.read(path))


@dataclass(frozen=True)
class MemoryObservation:
    """The kernel's memory limits of one cgroup (seed R1–R3, K1)."""

    version: int
    memory: Reading  # v1 memory.limit_in_bytes · v2 memory.max
    swap: Reading  # v1 memory.memsw.limit_in_bytes (memory+swap) · v2 memory.swap.max (swap only)

    @property
    def memory_limit(self) -> int | None:
        return self.memory.as_limit()

    @property
    def memory_plus_swap(self) -> int | None:
        """Memory + swap in bytes, None for unlimited. Raises when the kernel keeps no swap limit."""
        if not self.swap.present:
            raise CgroupNotFound(f"{self.swap.path} does not exist: the kernel does not account swap")
        if self.version == 1:
            return self.swap.as_limit()
        swap_only, memory = self.swap.as_limit(), self.memory_limit
        if swap_only is None or memory is None:
            return None
        return memory + swap_only  # v2 stores swap alone: memory+swap − memory


def container_cgroup(reader: CgroupReader, pid: int, container_id: str, controller: str) -> CgroupDir:
    """The cgroup of a running container's init process, checked to really be that container's.

    Both engine cgroup drivers put the full id in the path (cgroupfs: /docker/<id>, systemd:
    docker-<id>.scope). A path without it means the pid is not this container's (e.g. a remote engine).
    """
    if pid <= 0:
        raise CgroupNotFound("the container is not running (State.Pid is 0): nothing to read")
    found = reader.locate(pid, controller)
    if container_id not in str(found.path):
        raise CgroupNotFound(
            f"process {pid} is in {found.path}, which does not name container {container_id[:12]}: "
            "is the engine on another host?"
        )
    return found


# --- parsers of the other limit files (pure) ---------------------------------------------------


def parse_throttle_v1(text: str) -> dict[str, int]:
    """blkio.throttle.*_device: one 'MAJ:MIN value' line per throttled device."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = int(parts[1])
    return out


def parse_io_max(text: str) -> dict[str, dict[str, int | None]]:
    """v2 io.max: 'MAJ:MIN rbps=max wbps=31457280 riops=250 wiops=max' → {dev: {key: value|None}}."""
    out: dict[str, dict[str, int | None]] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        values: dict[str, int | None] = {}
        for item in parts[1:]:
            key, _, value = item.partition("=")
            values[key] = None if value == "max" else int(value)
        out[parts[0]] = values
    return out


def parse_weight(text: str) -> tuple[int | None, dict[str, int]]:
    """A weight file: v1 blkio.weight holds a number; io.weight / io.bfq.weight (and v1 blkio.bfq.weight)
    hold 'default N' plus 'MAJ:MIN N' per-device lines. → (default, {dev: weight})."""
    default: int | None = None
    devices: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 1:
            default = int(parts[0])
        elif len(parts) == 2 and parts[0] == "default":
            default = int(parts[1])
        elif len(parts) == 2:
            devices[parts[0]] = int(parts[1])
    return default, devices


def parse_cpu_max(text: str) -> tuple[int | None, int]:
    """v2 cpu.max: 'quota period' with 'max' for no quota → (quota|None, period)."""
    quota, period = text.split()
    return (None if quota == "max" else int(quota)), int(period)
