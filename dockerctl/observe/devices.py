"""Block devices: a path as the user gives it → MAJ:MIN, whole disk or partition (from /sys/dev/block),
read on the host whose kernel will throttle it."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockerctl.errors import DockerctlError, ExitCode
from dockerctl.hosts import Host
from dockerctl.spec.fields import THROTTLE_KINDS
from dockerctl.spec.limit_values import LimitValues, cpuset_members


class DeviceError(DockerctlError):
    """The path is not a usable block device."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class BlockDevice:
    path: str
    major: int
    minor: int
    partition: bool
    disk: str | None  # the whole disk's name, when `path` is a partition

    @property
    def key(self) -> str:
        return f"{self.major}:{self.minor}"

    def partition_warning(self) -> str:
        return (
            f"{self.path} ({self.key}) is a partition; the kernel throttles whole disks only: "
            f"use /dev/{self.disk} (the throttle then covers the whole disk)"
        )


def _sys_node(host: Host, major: int, minor: int) -> str:
    return f"/sys/dev/block/{major}:{minor}"


def _resolved(host: Host, link: str) -> str:
    """A /sys/dev/block/M:m link → the sysfs path of the device it names."""
    target = host.read_link(link) or ""
    return posixpath.normpath(posixpath.join(posixpath.dirname(link), target))


def resolve_block_device(host: Host, path: str) -> BlockDevice:
    st = host.stat(path)
    if st is None:
        if not host.exists(path):
            raise DeviceError(f"{path} does not exist on {host.name}")
        raise DeviceError(f"{path} cannot be read on {host.name}")
    if st.kind != "block":
        raise DeviceError(f"{path} is not a block device")
    major, minor = st.rdev
    node = _sys_node(host, major, minor)
    partition = host.exists(f"{node}/partition")
    disk = posixpath.basename(posixpath.dirname(_resolved(host, node))) if partition else None
    return BlockDevice(path, major, minor, partition, disk)


def device_of_directory(host: Host, directory: str) -> str | None:
    """The whole-disk /dev path under a directory (e.g. the engine's data root), if it is a real disk."""
    st = host.stat(directory)
    if st is None:
        return None
    node = _sys_node(host, *st.dev)
    if not host.exists(node):
        return None  # overlay, tmpfs …: no block device
    real = _resolved(host, node)
    name = (
        posixpath.basename(posixpath.dirname(real))
        if host.exists(f"{node}/partition")
        else posixpath.basename(real)
    )
    dev = f"/dev/{name}"
    return dev if host.exists(dev) else None


def online_cpus(host: Host) -> frozenset[int]:
    return cpuset_members((host.read_text("/sys/devices/system/cpu/online") or "").strip())


def resolve_devices(host: Host, limits: LimitValues) -> dict[str, BlockDevice | str]:
    """Every device path in `limits` → its BlockDevice on `host`, or the reason it is not usable."""
    out: dict[str, BlockDevice | str] = {}
    for kind in THROTTLE_KINDS:
        for entry in getattr(limits, kind):
            if entry.path in out:
                continue
            try:
                out[entry.path] = resolve_block_device(host, entry.path)
            except DeviceError as exc:
                out[entry.path] = str(exc)
    return out
