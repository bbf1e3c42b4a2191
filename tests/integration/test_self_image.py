"""dockerctl as an image (issue 40): built here with no registry, tagged with the version, small; `audit`
run from it (host PID namespace, the host's cgroups and the engine's socket mounted read-only) reads the same
kernel facts for the same containers as `audit` run on this machine."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.selfimage import VERSION, build_self

B = "dockerctl/base:latest"
RUN = [
    "docker", "run", "--rm", "--pid", "host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "-v", "/var/run/docker.sock:/var/run/docker.sock:ro",
]  # fmt: skip


@pytest.fixture(scope="module")
def self_image(engine: docker.DockerClient) -> str:
    return build_self()


@pytest.fixture
def limited(engine: docker.DockerClient, base_image: str) -> Iterator[dict[str, str]]:
    t = uuid.uuid4().hex[:6]
    flags = {
        f"si{t}-a": ["-m", "48m", "--memory-swap", "64m", "--cpus", "0.5", "--pids-limit", "40"],
        f"si{t}-b": ["--cpu-shares", "512", "--cpuset-cpus", "0"],
        f"si{t}-c": [],
    }
    try:
        for name, f in flags.items():
            subprocess.run(["docker", "run", "-d", "--name", name, *f, B, "sleep", "600"], check=True,
                           capture_output=True, timeout=120)  # fmt: skip
        yield {n: engine.containers.get(n).id for n in flags}
    finally:
        for name in flags:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False, timeout=120)


def _audit(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [*argv, "audit", "--json"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode in (0, 1), done.stderr  # 1: some container on this machine fails a rule
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _facts(report: dict[str, Any], ids: dict[str, str]) -> dict[str, list[tuple[str, ...]]]:
    by_id = {c["id"]: c for c in report["containers"]}
    return {
        name: sorted(
            (lim["subject"], lim["desired"], lim["observed"], lim["verdict"], lim["evidence"])
            for lim in by_id[cid]["limits"]
        )
        for name, cid in ids.items()
    }


def test_the_image_is_built_here_small_and_tagged_with_the_version(
    engine: docker.DockerClient, self_image: str
) -> None:
    assert self_image == f"dockerctl:{VERSION}"
    img = engine.images.get(self_image)
    assert img.attrs["Size"] < 150 * 1000 * 1000, img.attrs["Size"]
    assert img.attrs["Config"]["Entrypoint"] == ["/usr/local/bin/dockerctl"]
    assert not img.attrs.get("RepoDigests")  # never pulled nor pushed: built on this engine
    out = subprocess.run(["docker", "run", "--rm", self_image, "--version"], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    assert out.stdout.splitlines()[0].split() == ["dockerctl", VERSION]  # then the engine API it speaks


def test_audit_from_the_image_reads_what_audit_on_the_host_reads(
    engine: docker.DockerClient, self_image: str, limited: dict[str, str]
) -> None:
    inside = _audit([*RUN, self_image])
    outside = _audit([sys.executable, "-m", "dockerctl"])
    got, want = _facts(inside, limited), _facts(outside, limited)
    assert got == want
    first = got[next(iter(limited))]
    observed = {subject: seen for subject, _, seen, _, _ in first}
    # the values are the kernel's: the memory limit as this test reads the container's cgroup file itself
    memory_file = next(evidence for subject, _, _, _, evidence in first if subject == "memory")
    assert int(Path(memory_file).read_text()) == 48 * 1024 * 1024 and "50331648" in observed["memory"]
    assert observed["pids"] == "40"
    assert {verdict for rows in got.values() for _, _, _, verdict, _ in rows} <= {"enforced", "unlimited"}
