"""The pytest plugin, tested as CI teams use it: with pytester running real test files against the real
engine. A test that should pass passes; one whose limit is not held fails with the diff; a failing or
erroring test still leaves no labelled resources behind (issue 7)."""

from __future__ import annotations

import re
from pathlib import Path

import docker
import pytest

pytestmark = pytest.mark.integration


def _leftovers(engine: docker.DockerClient) -> list[str]:
    out = []
    for c in engine.containers.list(all=True, sparse=True, filters={"label": "io.dockerctl.managed=true"}):
        if (c.attrs.get("Labels") or {}).get("io.dockerctl.lab", "").startswith(("pytest-", "tc-")):
            out.append(c.attrs["Names"][0])
    for kind in (engine.networks, engine.volumes):
        for r in kind.list(filters={"label": "io.dockerctl.managed=true"}):
            if (r.attrs.get("Labels") or {}).get("io.dockerctl.lab", "").startswith(("pytest-", "tc-")):
                out.append(r.name)
    return out


LAB = """
LAB = {
    "networks": {"front": {}, "back": {}},
    "volumes": {"data": {}},
    "containers": {
        "a": {"networks": ["front"], "memory": "64M", "cpu_shares": 512, "volumes": ["data:/data", "data:/ro:ro"]},
        "b": {"networks": ["front", "back"]},
        "c": {"networks": ["back"], "command": "nc -ll -p 8080 -e echo hi"},
        "d": {"networks": ["bridge"]},
    },
}
"""


def test_a_lab_that_holds_passes(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    pytester.makepyfile(
        LAB
        + """
from dockerctl.testing import (assert_isolated, assert_limits, assert_mount, assert_namespaces,
                               assert_reachable)

def test_lab(dockerctl_lab):
    lab = dockerctl_lab(LAB)
    assert_limits(lab["a"], memory="64M", memory_swap="128M", cpu_shares=512)
    assert_namespaces(lab["a"], lab["b"], shared=["user"], private=["net", "pid", "mnt", "uts", "ipc"])
    assert_reachable(lab["a"], lab["b"], by="ip")
    assert_reachable(lab["a"], lab["b"], by="name")
    assert_reachable(lab["b"], lab["c"], port=8080)
    assert_isolated(lab["a"], lab["c"])
    assert_isolated(lab["a"], lab["d"])
    assert_mount(lab["a"], "/ro", read_only=True)
    assert_mount(lab["a"], "/data", read_only=False)
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert _leftovers(engine) == []


def test_a_limit_not_held_fails_with_the_diff(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    pytester.makepyfile(
        LAB
        + """
from dockerctl.testing import assert_limits

def test_wrong_memory(dockerctl_lab):
    lab = dockerctl_lab(LAB)
    assert_limits(lab["a"], memory="32M")

def test_weight(dockerctl_lab):
    lab = dockerctl_lab({"containers": {"w": {"blkio_weight": 300}}})
    assert_limits(lab["w"], blkio_weight=300)
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1
    text = result.stdout.str()
    assert "limits of container" in text and "do not hold in the kernel" in text
    assert "33554432 (32MiB)" in text and "67108864 (64MiB)" in text and "mismatch" in text
    assert "memory.limit_in_bytes" in text or "memory.max" in text
    if engine.info().get("CgroupVersion") == "1" and "blkio weight" in text:
        assert "not-enforced" in text
    assert _leftovers(engine) == []


def test_failing_and_erroring_tests_leave_nothing_behind(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    pytester.makepyfile(
        LAB
        + """
def test_fails_after_bring_up(dockerctl_lab):
    dockerctl_lab(LAB)
    assert False, "boom"

def test_bad_lab_is_refused_before_the_engine(dockerctl_lab):
    dockerctl_lab({"containers": {"x": {"networks": ["nowhere"]}}})

def test_half_made_lab_is_removed(dockerctl_lab):
    dockerctl_lab({"volumes": {"v": {}}, "containers": {"ok": {}, "bad": {"image": "dockerctl/absent:nope"}}})
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    text = result.stdout.str()
    assert "network 'nowhere' is not defined under networks" in text
    assert "never pulls" in text
    assert _leftovers(engine) == []


def test_testcontainers_interop(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    pytester.makepyfile("""
import os
from testcontainers.core.container import DockerContainer
from dockerctl.apply.cleanup import remove_owned
from dockerctl.testing import apply_lab_network, assert_limits, assert_reachable, with_limits

def test_tc(dockerctl_lab, dockerctl_engine):
    assert os.environ["TESTCONTAINERS_RYUK_DISABLED"] == "true"
    lab = dockerctl_lab({"networks": {"front": {}}, "containers": {"peer": {"networks": ["front"]}}})
    container = DockerContainer("dockerctl/base").with_command("sleep 300")
    with_limits(container, lab="tc-" + lab.name, memory="48M", cpu_shares=256)
    apply_lab_network(container, lab, "front", alias="app")
    try:
        container.start()
        assert_limits(container, memory="48M", cpu_shares=256)
        assert_reachable(lab["peer"], container, by="ip")
    finally:
        remove_owned(dockerctl_engine, lab="tc-" + lab.name)
    images = [t for i in dockerctl_engine.images.list() for t in i.tags]
    assert not any("ryuk" in t for t in images)
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert _leftovers(engine) == []


def test_lab_factory_takes_a_playbook_file(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    playbook = Path(__file__).parents[2] / "playbooks" / "namespaces.yaml"
    pytester.makepyfile(f"""
from dockerctl.testing import assert_namespaces

def test_pb(dockerctl_lab):
    lab = dockerctl_lab({str(playbook)!r})
    assert lab.checks and all(c.ok for c in lab.checks)
    assert_namespaces(lab["web"], lab["sidecar"], shared=["net"], private=["pid"])
""")
    reports = pytester.path / "reports"
    result = pytester.runpytest("-p", "no:cacheprovider", "--dockerctl-html", str(reports))
    result.assert_outcomes(passed=1)
    assert (
        engine.containers.list(all=True, sparse=True, filters={"label": "io.dockerctl.lab=namespaces"}) == []
    )
    # the run's report, as --dockerctl-html wrote it: the lab's checks with their evidence, its picture
    page = (reports / "namespaces.html").read_text()
    held = re.search(r"all (\d+) checks hold", page)
    assert held and int(held.group(1)) >= 1 and 'id="container:web"' in page and "/proc/" in page
