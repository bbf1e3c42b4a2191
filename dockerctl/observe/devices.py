"""Block devices: a path as the user gives it → MAJ:MIN, whole disk or partition (from /sys/dev/block)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


class DeviceError(Exception):
    """The path is not a usable block device."""


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


def resolve_block_device(path: str, sys_root: Path = Path("/sys")) -> BlockDevice:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DeviceError(f"{path} does not exist") from None
    except OSError as exc:
        raise DeviceError(f"{path} cannot be read: {exc.strerror}") from None
    if not stat.S_ISBLK(st.st_mode):
        raise DeviceError(f"{path} is not a block device")
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    node = sys_root / "dev" / "block" / f"{major}:{minor}"
    partition = (node / "partition").exists()
    disk = node.resolve().parent.name if partition else None
    return BlockDevice(path, major, minor, partition, disk)


def device_of_directory(directory: str, sys_root: Path = Path("/sys")) -> str | None:
    """The whole-disk /dev path under a directory (e.g. the engine's data root), if it is a real disk."""
    st = os.stat(directory)
    node = sys_root / "dev" / "block" / f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    if not node.exists():
        return None  # overlay, tmpfs …: no block device
    real = node.resolve()
    name = real.parent.name if (node / "partition").exists() else real.name
    dev = Path("/dev") / name
    return str(dev) if dev.exists() else None


def online_cpus(sys_root: Path = Path("/sys")) -> frozenset[int]:
    from dockerctl.spec.models import cpuset_members

    text = (sys_root / "devices/system/cpu/online").read_text()
    return cpuset_members(text)
