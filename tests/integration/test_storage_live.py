"""Storage on the real engine (seed S1–S9): data survives its container, :ro refuses writes, both sides
of the "existing mount point" row, volume containers (plain and data-packed), cleanup that keeps data,
streaming cp of more than 100 MB. Bad input changes nothing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path

import docker
import docker.errors
import pytest

from dockerctl.apply.copy import copy_from_container, copy_to_container
from dockerctl.apply.volumes import list_volumes, prune_volumes, remove_container, remove_volume
from dockerctl.engines.engine import Engine, local_engine
from dockerctl.engines.labels import MANAGED
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.ops.limits import run_container
from dockerctl.ops.storage import compare_storage, create_volume_container, mounts_report
from dockerctl.spec.models import ContainerSpec
from dockerctl.spec.mounts import MountSpec, parse_mount_flag, parse_volume_flag


def _run(
    engine: docker.DockerClient,
    image: str,
    lab: str,
    *mounts: MountSpec,
    command: list[str] | None = None,
    name: str | None = None,
    volumes_from: tuple[str, ...] = (),
    socket: bool = False,
) -> docker.models.containers.Container:
    spec = ContainerSpec(
        image=image, lab=lab, mounts=mounts, command=command or [], name=name, volumes_from=volumes_from
    )
    report = run_container(local_engine(engine), spec, verify=False, allow_engine_socket=socket)
    return engine.containers.get(report.container_id)


def _sh(container: docker.models.containers.Container, script: str) -> tuple[int, str]:
    result = container.exec_run(["sh", "-c", script])
    return result.exit_code, result.output.decode().strip()


def test_named_volume_is_labelled_and_its_data_outlives_the_container(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    vol = f"{lab}-data"
    first = _run(engine, base_image, lab, parse_volume_flag(f"{vol}:/data"))
    assert engine.volumes.get(vol).attrs["Labels"][MANAGED] == "true"
    assert _sh(first, "echo survived > /data/f")[0] == 0
    remove_container(engine, first.id, force=True)
    second = _run(engine, base_image, lab, parse_volume_flag(f"{vol}:/data"))
    assert _sh(second, "cat /data/f") == (0, "survived")  # seed S3


def test_ro_mounts_refuse_writes_and_mounts_shows_the_host_side(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, eng: Engine
) -> None:
    (tmp_path / "conf").write_text("x")
    c = _run(
        engine, base_image, lab, parse_volume_flag(f"{tmp_path}:/conf:ro"), parse_volume_flag("/scratch")
    )
    code, out = _sh(c, "echo y > /conf/new")
    assert code != 0 and "Read-only file system" in out  # seed S4
    report = mounts_report(eng, c.id, prove=True)
    rows = {r.mount_point: r for r in report.rows}
    assert (
        rows["/conf"].kind == "bind" and rows["/conf"].host_path == str(tmp_path) and rows["/conf"].read_only
    )
    assert rows["/scratch"].kind == "volume"
    assert rows["/scratch"].host_path.startswith(engine.info()["DockerRootDir"] + "/volumes/")  # seed S5
    assert rows["/"].kind.startswith("container layer") and engine.info()["Driver"] in rows["/"].kind  # S1-S2
    assert report.ok and {ch.subject for ch in report.checks} == {"ro /conf", "rw /scratch"}
    anon = rows["/scratch"].source
    assert engine.volumes.get(anon).attrs["Labels"][MANAGED] == "true"  # anonymous volumes are owned too


def test_v_creates_a_missing_host_dir_but_mount_refuses(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path
) -> None:
    missing = tmp_path / "made-by-v"
    _run(engine, base_image, lab, parse_volume_flag(f"{missing}:/m"))
    assert missing.is_dir()  # as docker run -v does
    before = len(engine.containers.list(all=True, sparse=True))
    with pytest.raises(InvalidInput, match="does not exist"):
        _run(engine, base_image, lab, parse_mount_flag(f"type=bind,source={tmp_path / 'nope'},target=/m"))
    assert len(engine.containers.list(all=True, sparse=True)) == before


def test_engine_socket_needs_explicit_permission(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    sock = "/var/run/docker.sock"
    if not os.path.exists(sock):
        pytest.skip("no local engine socket")
    with pytest.raises(InvalidInput, match="engine's socket"):
        _run(engine, base_image, lab, parse_volume_flag(f"{sock}:/s"))
    c = _run(engine, base_image, lab, parse_volume_flag(f"{sock}:/s"), socket=True)
    assert _sh(c, "test -S /s")[0] == 0


def test_volumes_from_a_missing_container_creates_nothing(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    before = {c.id for c in engine.containers.list(all=True, sparse=True)}
    with pytest.raises(NotFound, match="does not exist"):
        _run(engine, base_image, lab, volumes_from=(f"absent-{uuid.uuid4().hex[:6]}",))
    assert {c.id for c in engine.containers.list(all=True, sparse=True)} == before


def test_volume_container_shares_mount_points(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    store = create_volume_container(eng, f"{lab}-store", [parse_volume_flag("/shared")], lab=lab)
    assert store.status == "created"  # seed S8: created, not started
    a = _run(engine, base_image, lab, volumes_from=(store.name,))
    b = _run(engine, base_image, lab, volumes_from=(f"{store.name}:ro",))
    assert _sh(a, "echo from-a > /shared/x")[0] == 0
    assert _sh(b, "cat /shared/x") == (0, "from-a")
    assert _sh(b, "echo no > /shared/y")[0] != 0  # :ro on --volumes-from


def test_data_packed_volume_container(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, eng: Engine
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.ini").write_text("answer=42\n")
    packed = create_volume_container(
        eng, f"{lab}-packed", [], data_dir=tmp_path / "conf", data_path="/etc/app", lab=lab
    )
    image = engine.images.get(packed.attrs["Config"]["Image"])
    assert "/etc/app" in (image.attrs["Config"].get("Volumes") or {})  # baked under a VOLUME
    consumer = _run(engine, base_image, lab, volumes_from=(packed.name,))
    assert _sh(consumer, "cat /etc/app/app.ini") == (0, "answer=42")


def test_existing_mount_point_hidden_by_bind_copied_into_volume(
    engine: docker.DockerClient, base_image: str, eng: Engine
) -> None:
    rows = {r.property: r for r in compare_storage(eng).rows}
    existing = rows["existing mount point"]
    assert existing.bind.startswith("hidden") and existing.volume.startswith("copied")
    assert rows["single file"].bind.startswith("yes") and rows["single file"].volume.startswith("no")
    assert rows["data outlives the container"].agrees
    assert rows["permissions"].volume.startswith("rw by default; :ro also works")
    # the third column: the same experiments on a storage pool's volume, containers on two hosts
    assert "fuse.glusterfs 198.18.108.10:/vol-compare-across" in rows["location"].across
    assert len(re.findall(r"/brick[,)]", rows["location"].across)) == 2  # a replica brick on each host
    assert existing.across.startswith("copied into the volume, and so onto every host: vcmp2 lists")
    assert rows["single file"].across.startswith("no: the engine refuses")
    assert rows["permissions"].across.startswith("rw by default; :ro refuses a write")
    assert "vcmp2 read what vcmp1 wrote" in rows["portability"].across
    assert not any(
        (v.attrs.get("Labels") or {}).get("io.dockerctl.lab", "").startswith("prove-")
        for v in engine.volumes.list()
    )


def test_volume_removal_rules(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    vol = f"{lab}-busy"
    c = _run(engine, base_image, lab, parse_volume_flag(f"{vol}:/b"))
    with pytest.raises(Conflict, match="in use"):
        remove_volume(engine, vol)
    assert engine.volumes.get(vol)  # still there, data kept
    theirs = engine.volumes.create(f"user-{uuid.uuid4().hex[:8]}")  # a user's dangling volume
    try:
        with pytest.raises(Conflict, match="not made by dockerctl"):
            remove_volume(engine, theirs.name)
        remove_container(engine, c.id, force=True)
        removed = prune_volumes(engine)
        assert vol in removed and theirs.name not in removed
        assert engine.volumes.get(theirs.name)
        assert theirs.name not in [i.name for i in list_volumes(engine)]
        assert theirs.name in [i.name for i in list_volumes(engine, all_owners=True)]
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            theirs.remove()


def test_rm_v_removes_anonymous_but_keeps_named_volumes(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    named = f"{lab}-keep"
    c = _run(engine, base_image, lab, parse_volume_flag(f"{named}:/n"), parse_volume_flag("/anon"))
    anon = next(m["Name"] for m in c.attrs["Mounts"] if m["Destination"] == "/anon")
    remove_container(engine, c.id, volumes=True, force=True)  # seed S9
    with pytest.raises(docker.errors.NotFound):
        engine.volumes.get(anon)
    assert engine.volumes.get(named)


def test_cp_streams_more_than_100_mb_both_ways(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        for _ in range(110):
            f.write(os.urandom(1024 * 1024))
    c = _run(engine, base_image, lab, parse_volume_flag("/data"))
    moved: list[int] = []
    written = copy_to_container(engine, c, big, "/data/", moved.append)
    assert written == "/data/big.bin" and sum(moved) > 110 * 1024 * 1024
    assert _sh(c, "wc -c < /data/big.bin") == (0, str(110 * 1024 * 1024))
    back = copy_from_container(engine, c, "/data/big.bin", tmp_path / "back.bin")
    assert hashlib.sha256(back.read_bytes()).hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
