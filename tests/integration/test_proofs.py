"""Proofs by behaviour on the real engine and kernel (seed R1–R7): an OOM kill, a CPU-time ratio, a
throttled direct write. Each proof must also leave nothing behind."""

from __future__ import annotations

import docker
import pytest

from dockerctl.engines.engine import Engine
from dockerctl.ops.limits import run_container
from dockerctl.ops.proofs import prove
from dockerctl.spec.models import ContainerSpec, DeviceRate, Limits
from dockerctl.verify.verdict import Verdict


def _nothing_left(engine: docker.DockerClient) -> None:
    for c in engine.containers.list(all=True, sparse=True, filters={"label": "io.dockerctl.managed=true"}):
        assert not c.attrs.get("Labels", {}).get("io.dockerctl.lab", "").startswith("prove-"), c.attrs
    for v in engine.volumes.list(filters={"label": "io.dockerctl.managed=true"}):
        assert not (v.attrs.get("Labels") or {}).get("io.dockerctl.lab", "").startswith("prove-"), v.name


def test_memory_under_survives_over_is_oom_killed(
    engine: docker.DockerClient, base_image: str, eng: Engine
) -> None:
    report = prove(eng, "memory", limits=Limits(memory=32 * 1024 * 1024, memory_swap=32 * 1024 * 1024))
    checks = {c.subject: c for c in report.checks}
    assert checks["allocate 16MiB (½ × limit)"].observed == "exit 0, OOMKilled false"
    assert checks["allocate 80MiB (over memory+swap)"].observed == "exit 137, OOMKilled true"
    assert checks["allocate 48MiB (1.5 × limit)"].observed == "exit 137, OOMKilled true"  # no swap
    assert report.ok
    _nothing_left(engine)


def test_memory_proof_of_a_named_container_runs_on_twins(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    mine = run_container(
        eng, ContainerSpec(image=base_image, lab=lab, limits=Limits(memory=24 * 1024 * 1024)), verify=False
    )
    report = prove(eng, "memory", container=mine.container_id)
    assert "twins" in report.subject
    assert any(c.observed.startswith("exit 137") for c in report.checks)
    assert engine.containers.get(mine.container_id).status == "running"  # never touched


def test_cpu_shares_give_cpu_time_in_ratio(engine: docker.DockerClient, base_image: str, eng: Engine) -> None:
    report = prove(eng, "cpu", shares=(1024, 256), seconds=3, tolerance=0.35)
    (check,) = report.checks
    assert check.verdict is Verdict.ENFORCED, check
    ratio = float(check.observed.split()[0])
    assert 4 * 0.65 <= ratio <= 4 * 1.35
    _nothing_left(engine)


def test_device_write_bps_slows_direct_writes(
    engine: docker.DockerClient, base_image: str, disk: str, eng: Engine
) -> None:
    limits = Limits(
        device_write_bps=(DeviceRate(path=disk, rate=8 * 1024 * 1024),),
        device_read_bps=(DeviceRate(path=disk, rate=16 * 1024 * 1024),),
    )
    report = prove(eng, "io", limits=limits)
    checks = {c.subject.split()[0]: c for c in report.checks}
    for kind in ("device-write-bps", "device-read-bps"):
        assert checks[kind].verdict in (Verdict.ENFORCED, Verdict.UNKNOWN), checks[kind]
        if checks[kind].verdict is Verdict.UNKNOWN:
            pytest.skip(f"this disk is not faster than the limit: {checks[kind].observed}")
    assert report.ok
    _nothing_left(engine)


def test_blkio_weight_is_never_passed_silently(
    engine: docker.DockerClient, base_image: str, disk: str, eng: Engine
) -> None:
    limits = Limits(blkio_weight=300, device_write_iops=(DeviceRate(path=disk, rate=100),))
    report = prove(eng, "io", limits=limits)
    weight = next(c for c in report.checks if c.subject.startswith("blkio weight"))
    assert weight.verdict in (Verdict.NOT_ENFORCED, Verdict.UNKNOWN)
    assert not report.ok
    _nothing_left(engine)
