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
from dockerctl.spec.fields import FIELDS, LIMIT_CONTROLLERS, limit_files

# The files read derive from the field table (spec/fields.py): its rows name each limit's files.
# The v2 io controller is called blkio in v1.
ALIASES = {"blkio": ("blkio", "io")}


@dataclass(frozen=True)
class ControllerFiles:
    controller: str
    version: int
    directory: str
    readings: dict[str, Reading]

    def get(self, name: str) -> Reading:
        return self.readings[name]

    def of(self, field: str) -> Reading:
        """The reading of the file holding limit `field` (a field table name) in this version."""
        return self.readings[FIELDS[field].file(self.version)]

    def beside(self, field: str) -> tuple[Reading, ...]:
        """The readings of the files the table reads beside `field`'s own (v1_more / v2_more)."""
        return tuple(self.readings[n] for n in FIELDS[field].files(self.version)[1:])


@dataclass
class KernelLimits:
    controllers: dict[str, ControllerFiles] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # controller → why it could not be read

    def memory(self) -> MemoryObservation | None:
        files = self.controllers.get("memory")
        if files is None:
            return None
        return MemoryObservation(files.version, files.of("memory"), files.of("memory_swap"))


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
    for controller in LIMIT_CONTROLLERS:
        try:
            where = _locate(reader, pid, container_id, controller)
        except CgroupNotFound as exc:
            out.errors[controller] = str(exc)
            continue
        names = limit_files(controller, where.version)
        readings = {n: read_file(reader, where.path, n) for n in names}
        if where.version == 2:
            for root_file in _root_files(controller):
                readings[root_file] = _from_root(reader, where.path, root_file)
        out.controllers[controller] = ControllerFiles(controller, where.version, str(where.path), readings)
    return out


def _root_files(controller: str) -> tuple[str, ...]:
    return tuple(f.v2_root for f in FIELDS.values() if f.controller == controller and f.v2_root)


def _from_root(reader: CgroupReader, directory: PurePosixPath, name: str) -> Reading:
    """A file only the v2 root holds (io.cost.qos), found by walking up from the container's cgroup."""
    last = read_file(reader, directory, name)
    for parent in directory.parents:
        if str(parent) in ("/", "."):
            break
        reading = read_file(reader, parent, name)
        if reading.present:
            return reading
        last = reading
    return last
