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
    docker_py: str = ""  # the keyword argument of docker-py's `containers.create` ("" = not a limit)
    v1_more: tuple[str, ...] = ()  # files read beside v1_file: what its check needs besides the value
    v2_more: tuple[str, ...] = ()  # likewise beside v2_file
    v2_root: str = ""  # a file only the v2 root holds, read walking up from the container's cgroup

    @property
    def claims(self) -> tuple[str, ...]:
        """The seed claims one by one ("R6,R7" → ("R6", "R7"); "-" → ("-",))."""
        return tuple(self.claim.split(","))

    def file(self, version: int) -> str:
        """The file holding this setting under cgroup `version` (1 or 2)."""
        name = self.v1_file if version == 1 else self.v2_file
        if name is None:
            raise KeyError(f"{self.name} has no cgroup v{version} file")
        return name

    def files(self, version: int) -> tuple[str, ...]:
        """Every file a check of this setting reads under cgroup `version`: its own, then the others."""
        return (self.file(version), *(self.v1_more if version == 1 else self.v2_more))


# Each limit row: name, flag, HostConfig key, controller, v1 file, v2 file, claim, in place, value, subject
# [, io.max key], then the docker-py argument and the files read beside its own.
# fmt: off
FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("memory", "-m/--memory", "Memory", "memory", "memory.limit_in_bytes", "memory.max", "R1", True,
              "size", "memory", docker_py="mem_limit"),
        # R2: --memory-swap given; R3: unset, so memory+swap is 2 × memory
        Field("memory_swap", "--memory-swap", "MemorySwap", "memory", "memory.memsw.limit_in_bytes",
              "memory.swap.max", "R2,R3", True, "swap", "memory+swap", docker_py="memswap_limit"),
        Field("cpu_shares", "-c/--cpu-shares", "CpuShares", "cpu", "cpu.shares", "cpu.weight", "R4", True,
              "plain", "cpu shares", docker_py="cpu_shares"),
        # v2's cpu.max holds "quota period"; v1 keeps the period apart
        Field("cpus", "--cpus", "NanoCpus", "cpu", "cpu.cfs_quota_us", "cpu.max", "-", True, "plain", "cpus",
              docker_py="nano_cpus", v1_more=("cpu.cfs_period_us",)),
        Field("cpuset_cpus", "--cpuset-cpus", "CpusetCpus", "cpuset", "cpuset.cpus", "cpuset.cpus", "-", True,
              "plain", "cpuset", docker_py="cpuset_cpus", v1_more=("cpuset.effective_cpus",),
              v2_more=("cpuset.cpus.effective",)),
        Field("pids_limit", "--pids-limit", "PidsLimit", "pids", "pids.max", "pids.max", "-", True, "plain",
              "pids", docker_py="pids_limit"),
        # v2 calls the controller io. runc writes the weight unconverted into the bfq file when that exists
        # (so it is looked at first); io.weight is acted on only for the devices the root's io.cost.qos enables
        Field("blkio_weight", "--blkio-weight", "BlkioWeight", "blkio", "blkio.weight", "io.weight", "R5", True,
              "plain", "blkio weight", docker_py="blkio_weight", v1_more=("blkio.bfq.weight",),
              v2_more=("io.bfq.weight",), v2_root="io.cost.qos"),
        # R6: the device throttles as a whole; R7: each device's rate. v2 keeps all four in io.max
        Field("device_read_bps", "--device-read-bps", "BlkioDeviceReadBps", "blkio", "blkio.throttle.read_bps_device", "io.max", "R6,R7", True, "rate", "device-read-bps", "rbps", docker_py="device_read_bps"),
        Field("device_write_bps", "--device-write-bps", "BlkioDeviceWriteBps", "blkio", "blkio.throttle.write_bps_device", "io.max", "R6,R7", True, "rate", "device-write-bps", "wbps", docker_py="device_write_bps"),
        Field("device_read_iops", "--device-read-iops", "BlkioDeviceReadIOps", "blkio", "blkio.throttle.read_iops_device", "io.max", "R6,R7", True, "iops", "device-read-iops", "riops", docker_py="device_read_iops"),
        Field("device_write_iops", "--device-write-iops", "BlkioDeviceWriteIOps", "blkio", "blkio.throttle.write_iops_device", "io.max", "R6,R7", True, "iops", "device-write-iops", "wiops", docker_py="device_write_iops"),
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
# fmt: on

# every list of field names derives from the table above
LIMIT_FIELDS: tuple[str, ...] = tuple(name for name, f in FIELDS.items() if f.value)
THROTTLE_KINDS: tuple[str, ...] = tuple(name for name, f in FIELDS.items() if f.io_max_key)
IO_MAX_KEYS: dict[str, str] = {name: FIELDS[name].io_max_key for name in THROTTLE_KINDS}
# the Check subject each limit is reported under (device throttles: "device-write-bps <dev> …")
SUBJECTS: dict[str, str] = {name: FIELDS[name].subject for name in LIMIT_FIELDS if name not in THROTTLE_KINDS}
# the cgroup controllers holding the limits, in the table's order
LIMIT_CONTROLLERS: tuple[str, ...] = tuple(
    dict.fromkeys(FIELDS[name].controller or "" for name in LIMIT_FIELDS if FIELDS[name].controller)
)


def limit_files(controller: str, version: int) -> tuple[str, ...]:
    """Every file the limits held by `controller` are read from under cgroup `version`, in the table's
    order, each once (the four device throttles share v2's io.max)."""
    names = (FIELDS[n].files(version) for n in LIMIT_FIELDS if FIELDS[n].controller == controller)
    return tuple(dict.fromkeys(name for group in names for name in group))


def flag_of(field: str | None) -> str | None:
    """The CLI flag to blame for a bad value of `field` (None when the field is not in the table)."""
    if field is None:
        return None
    row = FIELDS.get(field)
    return row.flag if row else field
