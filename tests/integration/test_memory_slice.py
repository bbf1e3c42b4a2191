"""The first vertical slice on the real engine: -m / --memory-swap read back from the kernel (seed R1–R3, K1)."""

from __future__ import annotations

import docker
import pytest

from dockerctl.checks.limits import asked_of, check_limits
from dockerctl.engines.engine import local_engine
from dockerctl.hosts import LocalHost
from dockerctl.ops.limits import run_container
from dockerctl.spec.models import ContainerSpec, Limits
from dockerctl.verify.verdict import Verdict
from tests.integration.kernel import read_int, v1_memory_dir

M100 = 104857600


def _run(engine: docker.DockerClient, image: str, lab: str, **limits: int) -> tuple[object, int]:
    spec = ContainerSpec(image=image, lab=lab, limits=Limits(**limits))
    result = run_container(local_engine(engine), spec, verify=True)
    container = engine.containers.get(result.container_id)
    return result, int(container.attrs["State"]["Pid"])


def test_100M_is_104857600_and_swap_defaults_to_twice(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    result, pid = _run(engine, base_image, lab, memory=M100)
    cg = v1_memory_dir(pid)
    assert read_int(cg / "memory.limit_in_bytes") == M100  # R1
    assert read_int(cg / "memory.memsw.limit_in_bytes") == 2 * M100  # R3
    verdicts = {c.subject: c for c in result.checks}  # type: ignore[attr-defined]
    assert verdicts["memory"].verdict is Verdict.ENFORCED
    assert verdicts["memory"].evidence == str(cg / "memory.limit_in_bytes")
    assert verdicts["memory+swap"].verdict is Verdict.ENFORCED
    assert verdicts["memory+swap"].claim == "R3"
    assert result.ok  # type: ignore[attr-defined]


def test_swap_equal_to_memory_means_no_swap(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    result, pid = _run(engine, base_image, lab, memory=M100, memory_swap=M100)
    cg = v1_memory_dir(pid)
    assert read_int(cg / "memory.memsw.limit_in_bytes") == read_int(cg / "memory.limit_in_bytes") == M100
    assert result.ok  # type: ignore[attr-defined]


def test_unlimited_swap_and_page_rounding(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    result, pid = _run(engine, base_image, lab, memory=100000001, memory_swap=-1)
    cg = v1_memory_dir(pid)
    assert read_int(cg / "memory.limit_in_bytes") == 99999744  # whole pages
    assert read_int(cg / "memory.memsw.limit_in_bytes") >= 2**62  # the kernel's "no limit"
    checks = {c.subject: c for c in result.checks}  # type: ignore[attr-defined]
    assert checks["memory"].verdict is Verdict.ENFORCED and "rounded" in checks["memory"].note
    assert checks["memory+swap"].verdict is Verdict.UNLIMITED


def test_a_limit_changed_behind_our_back_is_a_mismatch(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    result, pid = _run(engine, base_image, lab, memory=M100)
    container = engine.containers.get(result.container_id)  # type: ignore[attr-defined]
    # someone else changes the limit through the engine; the label still says what the user asked for
    engine.api.update_container(container.id, mem_limit=200 * 1024 * 1024, memswap_limit=400 * 1024 * 1024)
    assert read_int(v1_memory_dir(pid) / "memory.limit_in_bytes") == 200 * 1024 * 1024
    container.reload()
    checks = [
        c
        for c in check_limits(LocalHost(), container, asked_of(container)[0])[0]
        if c.subject.startswith("memory")
    ]
    assert [c.verdict for c in checks] == [Verdict.MISMATCH, Verdict.MISMATCH]
    assert "104857600" in checks[0].desired and "209715200" in checks[0].observed


def test_a_stopped_container_cannot_be_verified(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    result, _ = _run(engine, base_image, lab, memory=M100)
    container = engine.containers.get(result.container_id)  # type: ignore[attr-defined]
    container.kill()
    container.wait()
    container.reload()
    checks = [
        c
        for c in check_limits(LocalHost(), container, asked_of(container)[0])[0]
        if c.subject.startswith("memory")
    ]
    assert checks[0].verdict is Verdict.UNKNOWN
    assert "not running" in checks[0].note


@pytest.mark.parametrize("swap", [None, M100 * 3])
def test_engine_echo_matches_what_was_asked(
    engine: docker.DockerClient, base_image: str, lab: str, swap: int | None
) -> None:
    limits = {"memory": M100} | ({"memory_swap": swap} if swap else {})
    result, _ = _run(engine, base_image, lab, **limits)
    host = engine.api.inspect_container(result.container_id)["HostConfig"]  # type: ignore[attr-defined]
    assert host["Memory"] == M100
    assert host["MemorySwap"] == (swap or 2 * M100)
