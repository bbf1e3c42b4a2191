"""Every limit of the course on the real engine, read back from the kernel (seed R1–R7, K1), and
`update` through the engine's update endpoint. Kernel values are asserted with an independent reader."""

from __future__ import annotations

import uuid

import docker
import pytest

from dockerctl.engines.engine import Engine
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.hosts import LocalHost
from dockerctl.observe.devices import resolve_block_device
from dockerctl.ops.limits import limits_report, run_container, update_limits
from dockerctl.spec.models import ContainerSpec, DeviceRate, Limits
from dockerctl.verify.verdict import Verdict
from tests.integration.kernel import read

M100 = 104857600


def _by(checks: list) -> dict:  # type: ignore[type-arg]
    return {c.subject: c for c in checks}


def test_every_limit_reaches_the_kernel(
    engine: docker.DockerClient, base_image: str, lab: str, disk: str, eng: Engine
) -> None:
    key = resolve_block_device(LocalHost(), disk).key
    limits = Limits(
        memory=M100,
        cpu_shares=512,
        cpus=1.5,
        cpuset_cpus="0",
        pids_limit=50,
        device_read_bps=(DeviceRate(path=disk, rate=10 * 1024 * 1024),),
        device_write_bps=(DeviceRate(path=disk, rate=30 * 1024 * 1024),),
        device_read_iops=(DeviceRate(path=disk, rate=250),),
        device_write_iops=(DeviceRate(path=disk, rate=100),),
    )
    report = run_container(eng, ContainerSpec(image=base_image, lab=lab, limits=limits), verify=True)
    pid = engine.api.inspect_container(report.container_id)["State"]["Pid"]
    # the kernel, read independently
    assert read(pid, "cpu", "cpu.shares") == "512"
    assert read(pid, "cpu", "cpu.cfs_quota_us") == "150000"
    assert read(pid, "cpu", "cpu.cfs_period_us") == "100000"
    assert read(pid, "cpuset", "cpuset.cpus") == "0"
    assert read(pid, "pids", "pids.max") == "50"
    assert read(pid, "blkio", "blkio.throttle.read_bps_device") == f"{key} 10485760"
    assert read(pid, "blkio", "blkio.throttle.write_bps_device") == f"{key} 31457280"
    assert read(pid, "blkio", "blkio.throttle.read_iops_device") == f"{key} 250"
    assert read(pid, "blkio", "blkio.throttle.write_iops_device") == f"{key} 100"
    checks = _by(report.checks)
    for subject, check in checks.items():
        assert check.ok, (subject, check)
    assert checks[f"device-write-bps {disk} ({key})"].verdict is Verdict.ENFORCED
    assert checks["cpus"].verdict is Verdict.ENFORCED and checks["pids"].verdict is Verdict.ENFORCED


def test_blkio_weight_the_engine_drops_is_reported_not_enforced(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    report = run_container(
        eng, ContainerSpec(image=base_image, lab=lab, limits=Limits(blkio_weight=300)), verify=True
    )
    kept = engine.api.inspect_container(report.container_id)["HostConfig"]["BlkioWeight"]
    weight = _by(report.checks)["blkio weight"]
    if kept == 0:  # this engine discarded it (seed R5): dockerctl must not pass it
        assert weight.verdict is Verdict.NOT_ENFORCED
        assert not report.ok
    else:
        assert weight.verdict is Verdict.ENFORCED


def test_limits_of_a_container_dockerctl_did_not_make(
    engine: docker.DockerClient, base_image: str, eng: Engine
) -> None:
    theirs = engine.containers.run(
        base_image, detach=True, cpu_shares=256, pids_limit=30, name=f"user-{uuid.uuid4().hex[:8]}"
    )
    try:
        report = limits_report(eng, theirs.name)
        assert report.source == "engine HostConfig"
        checks = _by(report.checks)
        assert checks["cpu shares"].verdict is Verdict.ENFORCED and checks["cpu shares"].observed == "256"
        assert checks["pids"].observed == "30"
        assert checks["memory"].verdict is Verdict.UNLIMITED
    finally:
        theirs.remove(force=True)


def test_update_changes_cpus_pids_and_shares_in_the_kernel(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    report = run_container(
        eng, ContainerSpec(image=base_image, lab=lab, limits=Limits(memory=M100)), verify=False
    )
    changes = {"cpus": 0.5, "pids_limit": 20, "cpu_shares": 256}
    updated = update_limits(eng, report.container_id, changes, verify=True)
    assert updated.ok, [c for c in updated.checks if not c.ok]
    pid = engine.api.inspect_container(report.container_id)["State"]["Pid"]
    assert read(pid, "cpu", "cpu.cfs_quota_us") == "50000"
    assert read(pid, "pids", "pids.max") == "20"
    assert read(pid, "cpu", "cpu.shares") == "256"
    # a later `limits` compares against the updated request, not the creation label
    later = limits_report(eng, report.container_id)
    assert later.source == "dockerctl update record"
    assert later.ok, [c for c in later.checks if not c.ok]


def test_update_memory_alone_keeps_memory_plus_swap(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    report = run_container(
        eng, ContainerSpec(image=base_image, lab=lab, limits=Limits(memory=M100)), verify=False
    )
    updated = update_limits(eng, report.container_id, {"memory": 150 * 1024 * 1024}, verify=True)
    pid = engine.api.inspect_container(report.container_id)["State"]["Pid"]
    assert read(pid, "memory", "memory.limit_in_bytes") == str(150 * 1024 * 1024)
    assert read(pid, "memory", "memory.memsw.limit_in_bytes") == str(2 * M100)  # as `docker update` keeps it
    assert updated.ok
    with pytest.raises(InvalidInput, match="memory\\+swap"):
        update_limits(eng, report.container_id, {"memory": 300 * 1024 * 1024}, verify=False)
    assert read(pid, "memory", "memory.limit_in_bytes") == str(150 * 1024 * 1024)  # unchanged


def test_update_refuses_missing_and_stopped_containers(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    with pytest.raises(NotFound):
        update_limits(eng, f"absent-{uuid.uuid4().hex[:6]}", {"cpus": 1}, verify=False)
    report = run_container(eng, ContainerSpec(image=base_image, lab=lab), verify=False)
    engine.containers.get(report.container_id).kill()
    with pytest.raises(Conflict, match="not running"):
        update_limits(eng, report.container_id, {"cpus": 1}, verify=False)
    with pytest.raises(Conflict, match="not running"):
        limits_report(eng, report.container_id)


def test_engine_ignores_device_throttles_on_update_so_dockerctl_refuses_them(
    engine: docker.DockerClient, base_image: str, lab: str, disk: str, eng: Engine
) -> None:
    report = run_container(eng, ContainerSpec(image=base_image, lab=lab), verify=False)
    container = engine.containers.get(report.container_id)
    pid = container.attrs["State"]["Pid"]
    # the engine itself: 200 OK, and the kernel keeps no throttle (if this ever changes, lift the refusal)
    body = {"BlkioDeviceWriteBps": [{"Path": disk, "Rate": 1048576}]}
    response = engine.api.post(
        f"{engine.api.base_url}/v{engine.api.api_version}/containers/{container.id}/update", json=body
    )
    assert response.status_code == 200
    assert read(pid, "blkio", "blkio.throttle.write_bps_device") == ""
    with pytest.raises(InvalidInput, match="cannot change device throttles") as caught:
        update_limits(
            eng, container.id, {"device_write_bps": [{"path": disk, "rate": 1048576}]}, verify=False
        )
    assert caught.value.field == "device_write_bps"
