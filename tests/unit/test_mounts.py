from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.observe.mounts import parse_mountinfo


def test_host_cgroup_mounts(fixtures: Path) -> None:
    mounts = parse_mountinfo((fixtures / "host-v1" / "mountinfo-cgroup.txt").read_text())
    by_point = {m.mount_point: m for m in mounts}
    memory = by_point["/sys/fs/cgroup/memory"]
    assert memory.fstype == "cgroup"
    assert "memory" in memory.super_options
    assert memory.root == "/"
    assert by_point["/sys/fs/cgroup/unified"].fstype == "cgroup2"
    assert by_point["/sys/fs/cgroup"].fstype == "tmpfs"


def test_container_mount_table(fixtures: Path) -> None:
    mounts = parse_mountinfo((fixtures / "host-v1" / "container-mountinfo.txt").read_text())
    root = next(m for m in mounts if m.mount_point == "/")
    assert root.fstype == "overlay"
    assert any(o.startswith("lowerdir=") for o in root.super_options)
    proc_ro = [m for m in mounts if m.mount_point.startswith("/proc/") and m.read_only]
    assert proc_ro, "docker masks parts of /proc read-only"


def test_escapes_optional_fields_and_propagation() -> None:
    text = (
        "36 35 98:0 /mnt\\0401 /srv/my\\040data rw,noatime master:1 shared:7 - ext4 /dev/vda rw,errors=continue\n"
        "37 35 98:0 / /ro ro,nosuid - ext4 /dev/vda rw\n"
    )
    first, second = parse_mountinfo(text)
    assert first.root == "/mnt 1"
    assert first.mount_point == "/srv/my data"
    assert first.optional == ("master:1", "shared:7")
    assert first.propagation == "shared"
    assert second.propagation == "private"
    assert second.read_only and not first.read_only


def test_garbage_is_reported_with_its_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_mountinfo("37 35 98:0 / /ro ro - ext4 /dev/vda rw\nnot a mount line\n")
