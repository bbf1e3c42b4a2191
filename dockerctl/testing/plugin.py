"""The pytest plugin (entry point pytest11 → `dockerctl`): fixtures for testcontainers-based CI.

- `dockerctl_engine`: a docker-py client; the test is skipped with the reason when no engine answers
  (DOCKERCTL_REQUIRE_ENGINE=1 makes that a failure instead, for CI).
- `dockerctl_engine_handle`: the same engine as an `Engine` (client + the host its kernel is read on:
  this machine, or the DOCKER_HOST=ssh://… machine), for the assertions' `engine=`.
- `dockerctl_base_image`: the locally built base image, built once per session, never pulled.
- `dockerctl_lab`: a factory: `dockerctl_lab({...})` or `dockerctl_lab("lab.yaml")` brings a lab up and
  returns its handles; every lab it made is torn down when the test ends — passed, failed or interrupted.
  `--dockerctl-html DIR` writes each playbook lab's HTML report to DIR/<lab>.html.
The Ryuk reaper is switched off (it pulls an image); cleanup goes by dockerctl's labels.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from dockerctl.apply.images import build_base_image
from dockerctl.apply.topology import LabHandle, bring_up, remove_lab
from dockerctl.engines.engine import Engine, connect_engine
from dockerctl.errors import EngineUnavailable
from dockerctl.spec.models import BASE_IMAGE
from dockerctl.spec.topology import Topology

LabFactory = Callable[..., LabHandle]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dockerctl")
    group.addoption(
        "--dockerctl-html",
        metavar="DIR",
        default=None,
        help="write the HTML report (topology coloured by verdict, every check with its evidence) of each "
        "playbook lab a test brings up to DIR/<lab>.html",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    config.addinivalue_line("markers", "dockerctl: a test that brings up dockerctl labs on a real engine")


@pytest.fixture(scope="session")
def dockerctl_engine_handle() -> Iterator[Engine]:
    try:
        engine = connect_engine()
    except EngineUnavailable as exc:
        if os.environ.get("DOCKERCTL_REQUIRE_ENGINE") == "1":
            pytest.fail(f"a Docker engine is required: {exc}", pytrace=False)
        pytest.skip(f"no Docker engine: {exc}")
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def dockerctl_engine(dockerctl_engine_handle: Engine) -> docker.DockerClient:
    return dockerctl_engine_handle.client


@pytest.fixture(scope="session")
def dockerctl_base_image(dockerctl_engine: docker.DockerClient) -> str:
    build_base_image(dockerctl_engine)
    return BASE_IMAGE


@pytest.fixture
def dockerctl_lab(
    dockerctl_engine_handle: Engine, dockerctl_base_image: str, request: pytest.FixtureRequest
) -> Iterator[LabFactory]:
    engine = dockerctl_engine_handle
    dockerctl_engine = engine.client
    made: list[str] = []
    prefix = f"pytest-{uuid.uuid4().hex[:6]}"

    def factory(spec: dict[str, Any] | str | Path, name: str | None = None) -> LabHandle:
        if not isinstance(spec, dict) and _is_playbook(Path(spec)):
            return _playbook_lab(Path(spec))
        parsed = Topology.parse(spec) if isinstance(spec, dict) else Topology.load(spec)
        lab_name = name or f"{prefix}-{len(made)}"
        made.append(lab_name)  # before bring-up: a half-made lab is torn down too
        return bring_up(engine, parsed, lab_name)

    def _playbook_lab(path: Path) -> LabHandle:
        """A playbook file: applied and verified as `dockerctl play --keep` does; its checks on the handle."""
        from dockerctl.ops.play import play
        from dockerctl.spec.playbook import load_playbook

        pb = load_playbook(path)
        made.append(pb.name)
        report = play(engine, path, keep=True)
        html_dir = request.config.getoption("dockerctl_html")
        if html_dir:
            from dockerctl.pictures.pages import write_play_report

            Path(html_dir).mkdir(parents=True, exist_ok=True)
            write_play_report(report, path, Path(html_dir) / f"{pb.name}.html")
        lab = LabHandle(pb.name, checks=report.checks)
        for n in pb.containers:
            lab.containers[n] = dockerctl_engine.containers.get(f"{pb.name}-{n}")
        for n in pb.networks:
            lab.networks[n] = dockerctl_engine.networks.get(f"{pb.name}-{n}")
        for n in pb.volumes:
            lab.volumes[n] = dockerctl_engine.volumes.get(f"{pb.name}-{n}")
        return lab

    try:
        yield factory
    finally:
        from dockerctl.ops.down import down

        for lab_name in made:
            remove_lab(dockerctl_engine, lab_name)
            down(engine, lab_name)  # also host links a playbook made


def _is_playbook(path: Path) -> bool:
    try:
        return any(line.startswith("version:") for line in path.read_text().splitlines())
    except OSError:
        return False
