"""The field table: one row per setting, joining every name it goes by.

One table drives parsing (the flag a bad value is blamed on), applying (the HostConfig key),
observing (the cgroup v1 and v2 files) and verifying (the seed claim a check cites). Later settings
(cpu, blkio, pids …) add rows here instead of new special cases elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # the spec field (ContainerSpec / Limits attribute, playbook key)
    flag: str  # how `docker run` spells it
    host_config: str  # the key in `docker inspect` → HostConfig
    controller: str | None  # cgroup controller holding the effect
    v1_file: str | None  # file under the v1 hierarchy of `controller`
    v2_file: str | None  # file under the v2 (unified) cgroup
    claim: str  # seed claim id(s)
    in_place: bool  # the engine can change it on a running container (`docker update`)
    value: str = ""  # how a limit is written: size | swap | plain | rate | iops ("" = not a limit)
    subject: str = ""  # what its check is called in reports ("memory+swap", "cpu shares" …)
    io_max_key: str = ""  # a device throttle's key in a v2 io.max line (rbps, wbps, riops, wiops)


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "memory",
            "-m/--memory",
            "Memory",
            "memory",
            "memory.limit_in_bytes",
            "memory.max",
            "R1",
            True,
            "size",
            "memory",
        ),
        Field(
            "memory_swap",
            "--memory-swap",
            "MemorySwap",
            "memory",
            "memory.memsw.limit_in_bytes",
            "memory.swap.max",
            "R2,R3",
            True,
            "swap",
            "memory+swap",
        ),
        Field(
            "cpu_shares",
            "-c/--cpu-shares",
            "CpuShares",
            "cpu",
            "cpu.shares",
            "cpu.weight",
            "R4",
            True,
            "plain",
            "cpu shares",
        ),
        Field("cpus", "--cpus", "NanoCpus", "cpu", "cpu.cfs_quota_us", "cpu.max", "-", True, "plain", "cpus"),
        Field(
            "cpuset_cpus",
            "--cpuset-cpus",
            "CpusetCpus",
            "cpuset",
            "cpuset.cpus",
            "cpuset.cpus",
            "-",
            True,
            "plain",
            "cpuset",
        ),
        Field(
            "pids_limit",
            "--pids-limit",
            "PidsLimit",
            "pids",
            "pids.max",
            "pids.max",
            "-",
            True,
            "plain",
            "pids",
        ),
        Field(
            "blkio_weight",
            "--blkio-weight",
            "BlkioWeight",
            "blkio",
            "blkio.weight",
            "io.weight",
            "R5",
            True,
            "plain",
            "blkio weight",
        ),
        Field(
            "device_read_bps",
            "--device-read-bps",
            "BlkioDeviceReadBps",
            "blkio",
            "blkio.throttle.read_bps_device",
            "io.max",
            "R6,R7",
            True,
            "rate",
            "device-read-bps",
            "rbps",
        ),
        Field(
            "device_write_bps",
            "--device-write-bps",
            "BlkioDeviceWriteBps",
            "blkio",
            "blkio.throttle.write_bps_device",
            "io.max",
            "R6,R7",
            True,
            "rate",
            "device-write-bps",
            "wbps",
        ),
        Field(
            "device_read_iops",
            "--device-read-iops",
            "BlkioDeviceReadIOps",
            "blkio",
            "blkio.throttle.read_iops_device",
            "io.max",
            "R6,R7",
            True,
            "iops",
            "device-read-iops",
            "riops",
        ),
        Field(
            "device_write_iops",
            "--device-write-iops",
            "BlkioDeviceWriteIOps",
            "blkio",
            "blkio.throttle.write_iops_device",
            "io.max",
            "R6,R7",
            True,
            "iops",
            "device-write-iops",
            "wiops",
        ),
        Field("image", "IMAGE", "Image", None, None, None, "S1", False),
        Field("name", "--name", "Name", None, None, None, "-", False),
        Field("volumes", "-v/--volume", "Binds", None, None, None, "S3-S5", False),
        Field("mounts", "--mount", "Mounts", None, None, None, "S3-S5", False),
        Field("volumes_from", "--volumes-from", "VolumesFrom", None, None, None, "S8", False),
        Field("network", "--network", "NetworkMode", None, None, None, "N2-N8,C3", False),
        Field("ip", "--ip", "IPAMConfig", None, None, None, "N8", False),
        Field("hostname", "-h/--hostname", "Hostname", None, None, None, "K4", False),
        Field("publish", "-p/--publish", "PortBindings", None, None, None, "O2", False),
        Field("subnet", "--subnet", "IPAM.Config", None, None, None, "N7", False),
        Field("gateway", "--gateway", "IPAM.Config", None, None, None, "N7", False),
        Field("ip_range", "--ip-range", "IPAM.Config", None, None, None, "N7", False),
        Field("options", "-o/--opt", "Options", None, None, None, "X8", False),
        Field("driver", "-d/--driver", "Driver", None, None, None, "N6", False),
    )
}

# every list of field names derives from the table above
LIMIT_FIELDS: tuple[str, ...] = tuple(name for name, f in FIELDS.items() if f.value)
THROTTLE_KINDS: tuple[str, ...] = tuple(name for name, f in FIELDS.items() if f.io_max_key)
IO_MAX_KEYS: dict[str, str] = {name: FIELDS[name].io_max_key for name in THROTTLE_KINDS}
# the Check subject each limit is reported under (device throttles: "device-write-bps <dev> …")
SUBJECTS: dict[str, str] = {name: FIELDS[name].subject for name in LIMIT_FIELDS if name not in THROTTLE_KINDS}


def flag_of(field: str | None) -> str | None:
    """The CLI flag to blame for a bad value of `field` (None when the field is not in the table)."""
    if field is None:
        return None
    row = FIELDS.get(field)
    return row.flag if row else field
