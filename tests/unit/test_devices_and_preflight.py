"""Device resolution and the host checks made before any engine call. Block device nodes are made with
mknod in a temporary directory (root), with a /sys/dev/block tree laid out as the kernel's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockerctl.apply.preflight import preflight_limits
from dockerctl.errors import InvalidInput
from dockerctl.hosts import LocalHost, TreeHost
from dockerctl.observe.devices import DeviceError, resolve_block_device
from dockerctl.spec.fields import flag_of
from dockerctl.spec.inputs import LIMIT_FIELDS, limit_fields
from dockerctl.spec.models import DeviceRate, Limits

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def _fake_host(tmp: Path) -> TreeHost:
    """A host tree: /sys with disk sdx (8:0) and its partition sdx1 (8:1); /dev with their nodes; 2 CPUs."""
    sys_root = tmp / "sys"
    disk = sys_root / "devices/virtual/block/sdx"
    part = disk / "sdx1"
    part.mkdir(parents=True)
    (part / "partition").write_text("1\n")
    (sys_root / "dev/block").mkdir(parents=True)
    (sys_root / "dev/block/8:0").symlink_to(disk)
    (sys_root / "dev/block/8:1").symlink_to(part)
    (sys_root / "devices/system/cpu").mkdir(parents=True)
    (sys_root / "devices/system/cpu/online").write_text("0-1\n")
    dev = tmp / "dev"
    dev.mkdir()
    os.mknod(dev / "sdx", stat.S_IFBLK | 0o600, os.makedev(8, 0))
    os.mknod(dev / "sdx1", stat.S_IFBLK | 0o600, os.makedev(8, 1))
    return TreeHost(tmp)


@needs_root
def test_disk_and_partition_resolution(tmp_path: Path) -> None:
    host = _fake_host(tmp_path)
    disk = resolve_block_device(host, "/dev/sdx")
    assert (disk.key, disk.partition) == ("8:0", False)
    part = resolve_block_device(host, "/dev/sdx1")
    assert (part.key, part.partition, part.disk) == ("8:1", True, "sdx")


def test_non_block_and_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="not a block device"):
        resolve_block_device(LocalHost(), "/dev/null")
    with pytest.raises(DeviceError, match="does not exist"):
        resolve_block_device(LocalHost(), str(tmp_path / "nope"))


@needs_root
def test_preflight_refuses_partitions_with_the_whole_disk_named(tmp_path: Path) -> None:
    host = _fake_host(tmp_path)
    ok = Limits(device_write_bps=(DeviceRate(path="/dev/sdx", rate=1024),))
    assert preflight_limits(host, ok)["/dev/sdx"].key == "8:0"  # type: ignore[union-attr]
    bad = Limits(device_read_iops=(DeviceRate(path="/dev/sdx1", rate=10),))
    with pytest.raises(InvalidInput) as caught:
        preflight_limits(host, bad)
    assert caught.value.field == "device_read_iops"
    assert "partition" in caught.value.message and "/dev/sdx" in caught.value.message


@needs_root
def test_preflight_cpu_checks(tmp_path: Path) -> None:
    host = _fake_host(tmp_path)
    preflight_limits(host, Limits(cpus=2, cpuset_cpus="0-1"))
    with pytest.raises(InvalidInput, match="more than the 2 CPUs") as too_many:
        preflight_limits(host, Limits(cpus=2.5))
    assert too_many.value.field == "cpus"
    with pytest.raises(InvalidInput, match=r"CPU\(s\) 5 do not exist") as missing:
        preflight_limits(host, Limits(cpuset_cpus="0,5"))
    assert missing.value.field == "cpuset_cpus"


def test_preflight_refuses_a_character_device() -> None:
    with pytest.raises(InvalidInput, match="not a block device") as caught:
        preflight_limits(LocalHost(), Limits(device_write_bps=(DeviceRate(path="/dev/null", rate=1),)))
    assert caught.value.field == "device_write_bps"


NONE = dict.fromkeys(LIMIT_FIELDS)


def test_flags_become_limits() -> None:
    got = limit_fields(
        {
            **NONE,
            "memory": "100M",
            "cpu_shares": 512,
            "device_write_bps": ["/dev/vda:30mb"],
            "device_read_iops": ["/dev/vda:250", "/dev/vdb:10"],
        }
    )
    assert got == {
        "memory": 104857600,
        "cpu_shares": 512,
        "device_write_bps": [{"path": "/dev/vda", "rate": 31457280}],
        "device_read_iops": [{"path": "/dev/vda", "rate": 250}, {"path": "/dev/vdb", "rate": 10}],
    }
    assert Limits(**got).host_config()["device_write_bps"] == [{"Path": "/dev/vda", "Rate": 31457280}]


@pytest.mark.parametrize(
    ("flag", "value", "where", "words"),
    [
        ("device_write_bps", ["/dev/vda:0"], "--device-write-bps", "greater than 0"),
        ("device_write_bps", ["/dev/vda:10X"], "--device-write-bps", "invalid suffix"),
        ("device_read_iops", ["/dev/vda:0"], "--device-read-iops", "positive whole number"),
        ("device_read_iops", ["/dev/vda:1.5"], "--device-read-iops", "positive whole number"),
        ("device_read_bps", ["vda:10mb"], "--device-read-bps", "absolute path"),
        ("device_read_bps", ["/dev/vda"], "--device-read-bps", "DEVICE:RATE"),
        ("memory_swap", "-5", "--memory-swap", "negative size"),
    ],
)
def test_bad_flag_values_name_the_flag(flag: str, value: object, where: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        limit_fields({**NONE, flag: value})
    assert flag_of(caught.value.field) == where
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cpu_shares": 1}, "cpu_shares"),
        ({"cpu_shares": 262145}, "cpu_shares"),
        ({"blkio_weight": 5}, "blkio_weight"),
        ({"blkio_weight": 1001}, "blkio_weight"),
        ({"cpus": 0.001}, "cpus"),
        ({"cpuset_cpus": "1-0"}, "cpuset_cpus"),
        ({"cpuset_cpus": "a"}, "cpuset_cpus"),
        ({"pids_limit": -2}, "pids_limit"),
        (
            {"device_write_bps": [{"path": "/dev/vda", "rate": 1}, {"path": "/dev/vda", "rate": 2}]},
            "device_write_bps",
        ),
    ],
)
def test_limit_ranges(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Limits(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_engine_resources_use_the_api_names() -> None:
    body = Limits(
        memory=104857600,
        cpus=0.5,
        pids_limit=20,
        device_write_bps=(DeviceRate(path="/dev/vda", rate=1048576),),
    ).engine_resources()
    assert body == {
        "Memory": 104857600,
        "NanoCpus": 500000000,
        "PidsLimit": 20,
        "BlkioDeviceWriteBps": [{"Path": "/dev/vda", "Rate": 1048576}],
    }
