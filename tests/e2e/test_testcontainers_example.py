"""The example project examples/testcontainers/ passes in its own clean environment (issue 39): a fresh
virtual environment holding only dockerctl (built from this checkout, not editable), testcontainers
(from PyPI) and pytest, the project copied out of this repository (so nothing of this project's own
test configuration reaches it), `pytest` run there against the real engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest

from tests.e2e.fresh_venv import PIP, ROOT, installed, make_venv, run, source_copy

EXAMPLE = ROOT / "examples" / "testcontainers"


def _testcontainers_sessions(engine: docker.DockerClient) -> set[str]:
    found = engine.containers.list(all=True, sparse=True, filters={"label": "org.testcontainers.lang=python"})
    return {(c.attrs.get("Labels") or {}).get("org.testcontainers.session-id", "") for c in found}


def _remove_new(engine: docker.DockerClient, sessions_before: set[str], project: str) -> list[str]:
    """What the example's run left (only on a failed or killed run: its `with` blocks remove the rest)."""
    left = []
    for c in engine.containers.list(all=True, filters={"label": "org.testcontainers.lang=python"}):
        if c.labels.get("org.testcontainers.session-id", "") not in sessions_before:
            left.append(c.name)
            c.remove(force=True)
    for c in engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"}):
        left.append(c.name)
        c.remove(force=True)
    for n in engine.networks.list(filters={"label": f"com.docker.compose.project={project}"}):
        left.append(n.name)
        n.remove()
    return left


def test_the_example_project_passes_in_a_fresh_environment(
    tmp_path: Path, engine: docker.DockerClient, base_image: str
) -> None:
    venv = tmp_path / "venv"
    pip = make_venv(venv)
    run([*pip, "install", *PIP, str(source_copy(tmp_path))])  # dockerctl from this checkout
    # then what the example names: dockerctl (now satisfied) and testcontainers, plus pytest
    run([*pip, "install", *PIP, "pytest", "-r", str(EXAMPLE / "requirements.txt")])
    dists = installed(pip)
    assert {"dockerctl", "testcontainers", "pytest"} <= set(dists)
    assert "editable_project_location" not in dists["dockerctl"]  # installed, not this checkout
    assert str(venv) in dists["dockerctl"]["location"]

    project_dir = tmp_path / "example"
    shutil.copytree(EXAMPLE, project_dir, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    project = f"tc39-example-{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        # as the example's CI would set it where no registry is reachable: Ryuk, testcontainers' reaper,
        # is an image to pull, and every test of the example removes its containers with `with` blocks
        "TESTCONTAINERS_RYUK_DISABLED": "true",
        # this suite may run next to another copy of the example on the same engine: its own compose project
        "COMPOSE_PROJECT_NAME": project,
    }
    if "DOCKER_HOST" in os.environ:
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    report = tmp_path / "junit.xml"
    before = _testcontainers_sessions(engine)
    try:
        done = subprocess.run(
            [str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        left = _remove_new(engine, before, project)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    cases = list(ET.parse(report).getroot().iter("testcase"))
    assert {c.get("name") for c in cases} == {
        "test_the_service_gets_the_limits_we_ship",
        "test_a_memory_hungry_job_is_oom_killed",
        "test_the_compose_stack_holds",
    }
    assert all(not list(c) for c in cases), "a test of the example did not pass"
    assert left == [], f"the example left containers behind: {left}"


@pytest.fixture(autouse=True)
def _no_pull_needed(engine: docker.DockerClient, base_image: str) -> None:
    """The example's image is the locally built one: nothing may be pulled here."""
    engine.images.get(base_image)
