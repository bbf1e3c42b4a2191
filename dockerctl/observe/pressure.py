"""How hard a container pushes against its limits, from its cgroup files: OOM kills and limit hits
since it started, memory usage against the limit, CPU periods throttled, processes against pids.max,
and pressure stall figures (PSI) where the kernel has them (cgroup v2).

Counters are the kernel's own (they survive a restart of whatever reads them). Raw figures and the files
they came from; judging is verify/audit.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from dockerctl.observe.cgroup import (
    CgroupNotFound,
    CgroupReader,
    container_cgroup,
    parse_io_max,
    parse_throttle_v1,
    read_file,
)
from dockerctl.spec.fields import FIELDS

# the limits the metrics are held against: the files of the field table's rows
MEMORY, PIDS = FIELDS["memory"], FIELDS["pids_limit"]
READ_BPS, WRITE_BPS = FIELDS["device_read_bps"], FIELDS["device_write_bps"]

FILES: dict[tuple[str, int], tuple[str, ...]] = {
    ("memory", 1): (
        "memory.memsw.usage_in_bytes",
        "memory.oom_control",
        "memory.failcnt",
        "memory.usage_in_bytes",
        MEMORY.file(1),
        "memory.max_usage_in_bytes",
    ),
    ("memory", 2): (
        "memory.events",
        "memory.current",
        MEMORY.file(2),
        "memory.peak",
        "memory.pressure",
        "memory.swap.current",
    ),
    ("cpu", 1): ("cpu.stat",),
    ("cpu", 2): ("cpu.stat", "cpu.pressure"),
    ("cpuacct", 1): ("cpuacct.usage",),
    ("pids", 1): ("pids.current", PIDS.file(1), "pids.events"),
    ("pids", 2): ("pids.current", PIDS.file(2), "pids.events"),
    ("blkio", 1): (
        "blkio.throttle.io_service_bytes",
        READ_BPS.file(1),
        WRITE_BPS.file(1),
    ),
    ("io", 2): ("io.stat", READ_BPS.file(2)),
}


def parse_flat_keyed(text: str) -> dict[str, int]:
    """'key value' lines (memory.events, cpu.stat, memory.oom_control, pids.events) → {key: int}."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def parse_psi(text: str) -> dict[str, dict[str, float]]:
    """'some avg10=0.00 avg60=0.00 avg300=0.00 total=0' lines → {"some": {...}, "full": {...}}."""
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        values = dict(item.split("=", 1) for item in rest.split() if "=" in item)
        if kind in ("some", "full"):
            out[kind] = {k: float(v) for k, v in values.items()}
    return out


def parse_io_service_bytes(text: str) -> dict[str, tuple[int, int]]:
    """v1 blkio.throttle.io_service_bytes: 'MAJ:MIN Read N' / 'MAJ:MIN Write N' lines (and a Total) →
    {device: (bytes read, bytes written)} since the cgroup was made."""
    out: dict[str, list[int]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("Read", "Write") and parts[2].isdigit():
            out.setdefault(parts[0], [0, 0])[0 if parts[1] == "Read" else 1] = int(parts[2])
    return {dev: (r, w) for dev, (r, w) in out.items()}


def parse_io_stat(text: str) -> dict[str, tuple[int, int]]:
    """v2 io.stat: 'MAJ:MIN rbytes=N wbytes=N rios=N wios=N …' → {device: (bytes read, bytes written)}."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        parts = line.split()
        values = dict(item.split("=", 1) for item in parts[1:] if "=" in item)
        if parts and "rbytes" in values and "wbytes" in values:
            out[parts[0]] = (int(values["rbytes"]), int(values["wbytes"]))
    return out


@dataclass
class Pressure:
    version: int = 0  # of the memory controller's hierarchy; 0 when not found
    oom_kills: int | None = None
    limit_hits: int | None = None  # v1 memory.failcnt · v2 memory.events `max`
    memory_usage: int | None = None
    memory_limit: int | None = None  # None: unlimited (or not read)
    memory_peak: int | None = None  # v1 memory.max_usage_in_bytes · v2 memory.peak (kernel ≥ 5.19)
    swap_usage: int | None = None  # v1 memsw − memory usage · v2 memory.swap.current
    cpu_usage_seconds: float | None = None  # v1 cpuacct.usage · v2 cpu.stat usage_usec
    cpu_periods: int | None = None
    cpu_throttled_periods: int | None = None
    cpu_throttled_seconds: float | None = None
    pids_current: int | None = None
    pids_max: int | None = None  # None: unlimited
    pids_limit_hits: int | None = None  # pids.events `max`: forks refused at the limit
    psi: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # memory/cpu → some/full
    io_bytes: dict[str, tuple[int, int]] = field(default_factory=dict)  # MAJ:MIN → (read, written) so far
    io_limits: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # MAJ:MIN → bytes/s
    evidence: dict[str, str] = field(default_factory=dict)  # figure → the file it came from
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def peak_at_limit(self) -> bool:
        """The highest use since start reached the limit (v1's failcnt stays 0 on some kernels even then:
        measured on this machine kind after an OOM kill)."""
        return (
            self.memory_limit is not None
            and self.memory_peak is not None
            and self.memory_peak >= self.memory_limit
        )


def read_pressure(reader: CgroupReader, pid: int, container_id: str) -> Pressure:
    out = Pressure()
    for controller in ("memory", "cpu", "cpuacct", "pids", "blkio", "io"):
        try:
            where = container_cgroup(reader, pid, container_id, controller)
        except CgroupNotFound as exc:
            if controller not in ("cpuacct", "blkio", "io"):  # v2 has no cpuacct (usage is in cpu.stat),
                out.errors[controller] = str(exc)  # and the IO controller is blkio on v1, io on v2
            continue
        if (controller, where.version) not in FILES:
            continue
        directory = PurePosixPath(where.path)
        r = {n: read_file(reader, directory, n) for n in FILES[(controller, where.version)]}
        try:
            _parse(out, controller, where.version, r)
        except ValueError as exc:  # a file of a cgroup being removed reads empty: the container is stopping
            raise CgroupNotFound(
                f"the {controller} files of container {container_id[:12]} held no number ({exc}): it is stopping"
            ) from None
    return out


def _parse(out: Pressure, controller: str, version: int, r: dict[str, Any]) -> None:
    """One controller's files into `out` (ValueError: a file held no number)."""
    if controller == "memory":
        out.version = version
        if version == 1:
            oom = parse_flat_keyed(r["memory.oom_control"].text)
            out.oom_kills = oom.get("oom_kill")
            out.evidence["oom_kills"] = r["memory.oom_control"].path
            if r["memory.failcnt"].present:
                out.limit_hits = int(r["memory.failcnt"].text)
                out.evidence["limit_hits"] = r["memory.failcnt"].path
            usage, limit, peak = (
                r["memory.usage_in_bytes"],
                r[MEMORY.file(1)],
                r["memory.max_usage_in_bytes"],
            )
        else:
            events = parse_flat_keyed(r["memory.events"].text)
            out.oom_kills = events.get("oom_kill")
            out.limit_hits = events.get("max")
            out.evidence["oom_kills"] = out.evidence["limit_hits"] = r["memory.events"].path
            usage, limit, peak = r["memory.current"], r[MEMORY.file(2)], r["memory.peak"]
            if r["memory.pressure"].present:
                out.psi["memory"] = parse_psi(r["memory.pressure"].text)
        if usage.present:
            out.memory_usage = int(usage.text)
            out.evidence["memory_usage"] = usage.path
        if limit.present:
            out.memory_limit = limit.as_limit()
            out.evidence["memory_limit"] = limit.path
        if peak.present:
            out.memory_peak = int(peak.text)
            out.evidence["memory_peak"] = peak.path
        swap = r.get("memory.memsw.usage_in_bytes") or r.get("memory.swap.current")
        if swap is not None and swap.present and out.memory_usage is not None:
            out.swap_usage = int(swap.text) - (out.memory_usage if version == 1 else 0)
    elif controller == "cpu":
        stat = parse_flat_keyed(r["cpu.stat"].text)
        out.cpu_periods = stat.get("nr_periods")
        out.cpu_throttled_periods = stat.get("nr_throttled")
        if "throttled_time" in stat:  # v1: ns
            out.cpu_throttled_seconds = stat["throttled_time"] / 1e9
        elif "throttled_usec" in stat:
            out.cpu_throttled_seconds = stat["throttled_usec"] / 1e6
        out.evidence["cpu"] = r["cpu.stat"].path
        if "usage_usec" in stat:
            out.cpu_usage_seconds = stat["usage_usec"] / 1e6
        if "cpu.pressure" in r and r["cpu.pressure"].present:
            out.psi["cpu"] = parse_psi(r["cpu.pressure"].text)
    elif controller in ("blkio", "io"):
        _io(out, r)
    elif controller == "cpuacct":
        if r["cpuacct.usage"].present:
            out.cpu_usage_seconds = int(r["cpuacct.usage"].text) / 1e9
            out.evidence["cpu_usage"] = r["cpuacct.usage"].path
    else:
        if r["pids.current"].present:
            out.pids_current = int(r["pids.current"].text)
        if r[PIDS.file(version)].present:
            out.pids_max = r[PIDS.file(version)].as_limit()
        out.pids_limit_hits = (
            parse_flat_keyed(r["pids.events"].text).get("max") if r["pids.events"].present else None
        )
        out.evidence["pids"] = r[PIDS.file(version)].path


def _io(out: Pressure, r: dict[str, Any]) -> None:
    """Bytes read and written per device, and the bytes/s throttles the kernel holds for them."""
    if "io.stat" in r:
        if r["io.stat"].present:
            out.io_bytes = parse_io_stat(r["io.stat"].text)
            out.evidence["io"] = r["io.stat"].path
        if r[READ_BPS.file(2)].present:
            out.io_limits = {
                d: (v.get(READ_BPS.io_max_key), v.get(WRITE_BPS.io_max_key))
                for d, v in parse_io_max(r[READ_BPS.file(2)].text).items()
            }
        return
    served = r["blkio.throttle.io_service_bytes"]
    if served.present:
        out.io_bytes = parse_io_service_bytes(served.text)
        out.evidence["io"] = served.path
    reads = parse_throttle_v1(r[READ_BPS.file(1)].text) if r[READ_BPS.file(1)].present else {}
    writes = parse_throttle_v1(r[WRITE_BPS.file(1)].text) if r[WRITE_BPS.file(1)].present else {}
    out.io_limits = {d: (reads.get(d), writes.get(d)) for d in sorted(set(reads) | set(writes))}
