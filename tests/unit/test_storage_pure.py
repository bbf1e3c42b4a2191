"""Mount flags with docker's semantics, host-side mount checks, the mount table join, cp references."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.apply.copy import split_ref
from dockerctl.apply.preflight import check_host_side
from dockerctl.errors import InvalidInput
from dockerctl.hosts import LocalHost
from dockerctl.observe.container_mounts import container_mounts
from dockerctl.spec.mounts import MountSpec, parse_mount_flag, parse_volume_flag


def test_volume_flag_forms(tmp_path: Path) -> None:
    assert parse_volume_flag("/data") == MountSpec(kind="anonymous", source=None, target="/data")
    assert parse_volume_flag("appdata:/data:ro") == MountSpec(
        kind="volume", source="appdata", target="/data", read_only=True
    )
    assert parse_volume_flag("/srv/x/../y:/y") == MountSpec(kind="bind", source="/srv/y", target="/y")
    rel = parse_volume_flag("./site:/www", cwd=tmp_path)  # the docker CLI resolves ./ against the cwd
    assert rel.kind == "bind" and rel.source == str(tmp_path / "site")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x", "must be absolute"),
        ("/tmp:/", "mounting over /"),
        ("a/b:/x", "neither an absolute host path nor a valid volume name"),
        ("bad@name:/x", "valid volume name"),
        ("/tmp:/x:zz", "invalid mode"),
        ("/tmp:/x:ro:rw", "SRC:DST"),
        ("vol:relative", "must be absolute"),
    ],
)
def test_bad_volume_flags(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_volume_flag(text)
    assert caught.value.field == "volumes"
    assert words in str(caught.value)


def test_mount_flag_forms() -> None:
    assert parse_mount_flag("type=bind,source=/srv,target=/s,readonly") == MountSpec(
        kind="bind", source="/srv", target="/s", read_only=True, origin="--mount"
    )
    assert parse_mount_flag("type=volume,src=v1,dst=/v").source == "v1"
    assert parse_mount_flag("type=volume,target=/a").kind == "anonymous"
    assert parse_mount_flag("target=/a,ro=false").read_only is False
    for bad, words in [
        ("type=bind,target=/x", "needs source"),
        ("type=tmpfs,target=/x", "not supported"),
        ("type=bind,source=/x", "needs target"),
        ("type=volume,target=/x,bogus=1", "unknown"),
        ("type=bind,source=vol,target=/x", "must be a host path"),
    ]:
        with pytest.raises(InvalidInput, match=words):
            parse_mount_flag(bad)


def test_host_side_checks(tmp_path: Path) -> None:
    sock = tmp_path / "run" / "docker.sock"
    sock.parent.mkdir()
    sock.write_text("")
    existing = tmp_path / "exists"
    existing.mkdir()
    ok = [
        MountSpec(kind="bind", source=str(existing), target="/a", origin="--mount"),
        MountSpec(kind="bind", source=str(tmp_path / "missing"), target="/b"),
    ]  # -v creates it
    check_host_side(LocalHost(), ok, allow_engine_socket=False, sockets=(str(sock),))
    with pytest.raises(InvalidInput, match="does not exist"):
        check_host_side(
            LocalHost(),
            [MountSpec(kind="bind", source=str(tmp_path / "missing"), target="/b", origin="--mount")],
            allow_engine_socket=False,
            sockets=(str(sock),),
        )
    for exposed in (sock, sock.parent):
        with pytest.raises(InvalidInput, match="engine's socket"):
            check_host_side(
                LocalHost(),
                [MountSpec(kind="bind", source=str(exposed), target="/s")],
                allow_engine_socket=False,
                sockets=(str(sock),),
            )
        check_host_side(
            LocalHost(),
            [MountSpec(kind="bind", source=str(exposed), target="/s")],
            allow_engine_socket=True,
            sockets=(str(sock),),
        )
    with pytest.raises(InvalidInput, match="mounted twice"):
        check_host_side(
            LocalHost(),
            [
                MountSpec(kind="anonymous", source=None, target="/d"),
                MountSpec(kind="volume", source="v", target="/d/"),
            ],
            allow_engine_socket=False,
            sockets=(),
        )


def test_mount_table_joined_with_the_engine(fixtures: Path) -> None:
    text = (fixtures / "host-v1" / "container-mountinfo.txt").read_text()
    text += "999 650 254:0 /var/lib/docker/volumes/data/_data /data rw,relatime master:1 - ext4 /dev/vda rw\n"
    inspect = {
        "Driver": "overlay2",
        "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": "/var/lib/docker/overlay2/abc/diff"}},
        "Mounts": [
            {
                "Type": "volume",
                "Name": "data",
                "Source": "/var/lib/docker/volumes/data/_data",
                "Destination": "/data",
            }
        ],
    }
    rows = {r.mount_point: r for r in container_mounts(text, inspect)}
    assert rows["/"].kind == "container layer (overlay2)" and rows["/"].fstype == "overlay"
    assert rows["/"].host_path == "/var/lib/docker/overlay2/abc/diff"
    assert rows["/data"].kind == "volume" and rows["/data"].source == "data"
    assert rows["/data"].host_path == "/var/lib/docker/volumes/data/_data"
    assert rows["/data"].propagation == "slave" and "254:0" in rows["/data"].kernel
    assert rows["/etc/hosts"].kind == "engine file"
    assert not any(p.startswith("/proc") for p in rows)
    assert any(
        r.mount_point.startswith("/proc") for r in container_mounts(text, inspect, include_pseudo=True)
    )


def test_cp_references() -> None:
    assert split_ref("web:/etc/hosts") == ("web", "/etc/hosts")
    assert split_ref("/tmp/a:b") == (None, "/tmp/a:b")
    assert split_ref("./x") == (None, "./x")
    assert split_ref("plain") == (None, "plain")
