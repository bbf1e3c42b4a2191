"""doctor against this host, checked by independent means: its own link probes, and the engine's
behaviour when asked for a block-IO weight (seed R5: the engine says OK, the kernel may not enforce)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker
import pytest

from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned
from dockerctl.observe.hostfacts import LINK_PROBES, engine_facts, kernel_facts
from dockerctl.verify.doctor import Support, assess


@pytest.fixture(scope="module")
def caps(eng: Engine) -> dict[str, object]:
    return {c.topic: c for c in assess(engine_facts(eng.client, eng.url), kernel_facts(eng.host))}


@pytest.mark.parametrize("kind", sorted(LINK_PROBES))
def test_link_verdicts_match_an_independent_probe(caps: dict[str, object], kind: str) -> None:
    done = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", LINK_PROBES[kind]], capture_output=True, check=False
    )
    expected = Support.SUPPORTED if done.returncode == 0 else Support.NOT_SUPPORTED
    assert caps[f"link type {kind}"].verdict is expected  # type: ignore[attr-defined]


def test_block_io_weight_verdict_matches_what_the_engine_does(
    engine: docker.DockerClient, base_image: str, lab: str, caps: dict[str, object]
) -> None:
    c = engine.containers.create(base_image, blkio_weight=300, labels=owned(lab))
    kept = engine.api.inspect_container(c.id)["HostConfig"]["BlkioWeight"]
    weight = caps["block-IO weight"]
    # the engine silently drops a weight the kernel cannot enforce (it keeps 0): doctor must agree
    assert weight.verdict is (Support.SUPPORTED if kept == 300 else Support.NOT_SUPPORTED)  # type: ignore[attr-defined]


def test_cgroup_files_verdicts_match_the_filesystem(caps: dict[str, object]) -> None:
    memory = Path("/sys/fs/cgroup/memory")
    if not memory.is_dir():
        pytest.skip("not a cgroup v1 host")
    want = {
        "memory limit": (memory / "memory.limit_in_bytes").exists(),
        "swap accounting": (memory / "memory.memsw.limit_in_bytes").exists(),
        "CPU shares/weight": Path("/sys/fs/cgroup/cpu/cpu.shares").exists(),
        "device throttling": Path("/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device").exists(),
    }
    for topic, present in want.items():
        assert caps[topic].verdict is (Support.SUPPORTED if present else Support.NOT_SUPPORTED), topic  # type: ignore[attr-defined]


def test_engine_facts(engine: docker.DockerClient, caps: dict[str, object]) -> None:
    info = engine.info()
    assert caps["engine reachable"].verdict is Support.SUPPORTED  # type: ignore[attr-defined]
    assert info["Driver"] in caps["storage driver"].detail  # type: ignore[attr-defined]
    assert info["Swarm"]["LocalNodeState"] in caps["swarm state"].detail  # type: ignore[attr-defined]
