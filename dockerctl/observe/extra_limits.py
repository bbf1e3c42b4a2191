"""Limits beyond the course's seven, read from the kernel of the container's host: the memory
reservation, swappiness and OOM-kill switch (memory cgroup), a raw CFS quota and period (cpu cgroup),
the /dev/shm size (mountinfo), rlimits (/proc/PID/limits) and the OOM score adjustment
(/proc/PID/oom_score_adj). Raw text and where it came from; verify/compose.py judges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from dockerctl.hosts import Host
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, Reading, container_cgroup, read_file
from dockerctl.observe.mounts import parse_mountinfo
from dockerctl.spec.fields import FIELDS

# compose's ulimit names → the row of /proc/PID/limits (setrlimit(2) resources)
ULIMIT_ROWS = {
    "core": "Max core file size",
    "cpu": "Max cpu time",
    "data": "Max data size",
    "fsize": "Max file size",
    "locks": "Max file locks",
    "memlock": "Max locked memory",
    "msgqueue": "Max msgqueue size",
    "nice": "Max nice priority",
    "nofile": "Max open files",
    "nproc": "Max processes",
    "rss": "Max resident set",
    "rtprio": "Max realtime priority",
    "rttime": "Max realtime timeout",
    "sigpending": "Max pending signals",
    "stack": "Max stack size",
    "as": "Max address space",
}

# (controller, cgroup version) → the files for the extra memory / cpu keys
EXTRA_FILES: dict[tuple[str, int], tuple[str, ...]] = {
    ("memory", 1): ("memory.soft_limit_in_bytes", "memory.swappiness", "memory.oom_control"),
    ("memory", 2): ("memory.low", FIELDS["memory_swap"].file(2), "memory.oom.group"),
    # CpuQuota / CpuPeriod: the files of the table's --cpus row
    ("cpu", 1): FIELDS["cpus"].files(1),
    ("cpu", 2): FIELDS["cpus"].files(2),
}


def parse_proc_limits(text: str) -> dict[str, tuple[str, str]]:
    """/proc/PID/limits → row name → (soft, hard) as the kernel prints them ('unlimited' or a number)."""
    out: dict[str, tuple[str, str]] = {}
    for line in text.splitlines()[1:]:
        m = re.match(r"(.+?)\s{2,}(\S+)\s+(\S+)", line)
        if m:
            out[m.group(1).strip()] = (m.group(2), m.group(3))
    return out


def parse_tmpfs_size(options: tuple[str, ...]) -> int | None:
    """A tmpfs superblock's `size=16384k` → bytes; None when no size is given."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3, "": 1}
    for opt in options:
        m = re.fullmatch(r"size=(\d+)([kmg]?)", opt)
        if m:
            return int(m.group(1)) * units[m.group(2)]
    return None


@dataclass
class ExtraReadings:
    version: int = 0  # the memory controller's cgroup version, 0 when it was not found
    files: dict[str, Reading] | None = None  # cgroup file name → reading
    limits: dict[str, tuple[str, str]] | None = None
    limits_path: str = ""
    oom_score_adj: Reading | None = None
    shm: tuple[int | None, str] | None = None  # (size in bytes, evidence), None: no /dev/shm mount
    errors: dict[str, str] | None = None


def read_extra_limits(host: Host, pid: int, container_id: str) -> ExtraReadings:
    reader = CgroupReader(host)
    files: dict[str, Reading] = {}
    errors: dict[str, str] = {}
    out = ExtraReadings(files=files, errors=errors)
    for controller in ("memory", "cpu"):
        try:
            where = container_cgroup(reader, pid, container_id, controller)
        except CgroupNotFound as exc:
            errors[controller] = str(exc)
            continue
        if controller == "memory":
            out.version = where.version
        for name in EXTRA_FILES[(controller, where.version)]:
            files[name] = read_file(reader, PurePosixPath(where.path), name)
    limits_path = f"/proc/{pid}/limits"
    text = host.read_text(limits_path)
    out.limits = parse_proc_limits(text) if text else None
    out.limits_path = f"{limits_path} on {host.name}"
    adj = f"/proc/{pid}/oom_score_adj"
    out.oom_score_adj = Reading(f"{adj} on {host.name}", host.read_text(adj))
    info = host.read_text(f"/proc/{pid}/mountinfo") or ""
    shm = [m for m in parse_mountinfo(info) if m.mount_point == "/dev/shm"]  # nosec B108  # a path read, not used
    if shm:
        out.shm = (
            parse_tmpfs_size(shm[-1].super_options),
            f"/proc/{pid}/mountinfo on {host.name} (/dev/shm {','.join(shm[-1].super_options)})",
        )
    return out
