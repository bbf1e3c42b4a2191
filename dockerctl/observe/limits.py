"""All limit files of one container's cgroups, read in one pass (seed K1, R1–R7).

Each controller is located on its own (v1 keeps one hierarchy per controller; v2 one tree), and the
files read depend on the version of the hierarchy that holds it. Nothing here interprets values:
verify/limits.py does, from the Readings (path + raw text) returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dockerctl.observe.cgroup import (
    CgroupDir,
    CgroupNotFound,
    CgroupReader,
    MemoryObservation,
    Reading,
    container_cgroup,
    read_file,
)

# (controller, version) → files. The v2 io controller is called blkio in v1.
FILES: dict[tuple[str, int], tuple[str, ...]] = {
    ("memory", 1): ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"),
    ("memory", 2): ("memory.max", "memory.swap.max"),
    ("cpu", 1): ("cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"),
    ("cpu", 2): ("cpu.weight", "cpu.max"),
    ("cpuset", 1): ("cpuset.cpus", "cpuset.effective_cpus"),
    ("cpuset", 2): ("cpuset.cpus", "cpuset.cpus.effective"),
    ("pids", 1): ("pids.max",),
    ("pids", 2): ("pids.max",),
    ("blkio", 1): (
        "blkio.weight",
        "blkio.bfq.weight",
        "blkio.throttle.read_bps_device",
        "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device",
        "blkio.throttle.write_iops_device",
    ),
    ("blkio", 2): ("io.weight", "io.bfq.weight", "io.max"),
}
ALIASES = {"blkio": ("blkio", "io")}


@dataclass(frozen=True)
class ControllerFiles:
    controller: str
    version: int
    directory: str
    readings: dict[str, Reading]

    def get(self, name: str) -> Reading:
        return self.readings[name]


@dataclass
class KernelLimits:
    controllers: dict[str, ControllerFiles] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # controller → why it could not be read

    def memory(self) -> MemoryObservation | None:
        files = self.controllers.get("memory")
        if files is None:
            return None
        first, second = FILES[("memory", files.version)]
        return MemoryObservation(files.version, files.get(first), files.get(second))


def _locate(reader: CgroupReader, pid: int, container_id: str, controller: str) -> CgroupDir:
    last: CgroupNotFound | None = None
    for name in ALIASES.get(controller, (controller,)):
        try:
            return container_cgroup(reader, pid, container_id, name)
        except CgroupNotFound as exc:
            last = exc
    raise (
        last
        if last is not None
        else CgroupNotFound(f"no {controller} cgroup of container {container_id[:12]}")
    )


def read_container_limits(reader: CgroupReader, pid: int, container_id: str) -> KernelLimits:
    out = KernelLimits()
    for controller in ("memory", "cpu", "cpuset", "pids", "blkio"):
        try:
            where = _locate(reader, pid, container_id, controller)
        except CgroupNotFound as exc:
            out.errors[controller] = str(exc)
            continue
        names = FILES[(controller, where.version)]
        readings = {n: read_file(reader, where.path, n) for n in names}
        if controller == "blkio" and where.version == 2:
            readings[IO_COST_QOS] = _io_cost_qos(reader, where.path)
        out.controllers[controller] = ControllerFiles(controller, where.version, str(where.path), readings)
    return out


IO_COST_QOS = "io.cost.qos"  # only at the v2 root: which devices the io cost controller (io.weight) acts on


def _io_cost_qos(reader: CgroupReader, directory: PurePosixPath) -> Reading:
    """The root's io.cost.qos, found by walking up from the container's cgroup (it exists only there)."""
    last = read_file(reader, directory, IO_COST_QOS)
    for parent in directory.parents:
        if str(parent) in ("/", "."):
            break
        reading = read_file(reader, parent, IO_COST_QOS)
        if reading.present:
            return reading
        last = reading
    return last
