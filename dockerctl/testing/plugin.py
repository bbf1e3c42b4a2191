"""The pytest plugin (entry point pytest11 → `dockerctl`): fixtures for testcontainers-based CI.

- `dockerctl_engine`: a docker-py client; the test is skipped with the reason when no engine answers
  (DOCKERCTL_REQUIRE_ENGINE=1 makes that a failure instead, for CI).
- `dockerctl_engine_handle`: the same engine as an `Engine` (client + the host its kernel is read on:
  this machine, or the DOCKER_HOST=ssh://… machine), for the assertions' `engine=`.
- `dockerctl_base_image`: the locally built base image, built once per session, never pulled.
- `dockerctl_lab`: a factory: `dockerctl_lab({...})` or `dockerctl_lab("lab.yaml")` brings a lab up and
  returns its handles; every lab it made is torn down when its scope ends — passed, failed or
  interrupted. The scope is the test's unless `--dockerctl-lab-scope` / the ini option
  `dockerctl_lab_scope` says module or session; `dockerctl_module_lab` and `dockerctl_session_lab` are
  the same factory for a module or the whole session, whatever that option says.
  `--dockerctl-html DIR` writes each playbook lab's HTML report to DIR/<lab>.html.
- `dockerctl_evidence`: a test that requests it gets the table of every failing dockerctl assertion
  attached to its JUnit report (`record_property`).

Nothing changes unless asked: loading the plugin touches no environment variable, no testcontainers
setting (Ryuk stays as the user configured it) and no engine; only a test that requests one of these
fixtures (or calls an assertion) talks to Docker.
"""

from __future__ import annotations

import contextlib
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
from dockerctl.testing.evidence import RECORDER, Recorder

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
    group.addoption(
        "--dockerctl-lab-scope",
        choices=SCOPES,
        default=None,
        help="how long the labs of `dockerctl_lab` live: function (default), module or session",
    )
    parser.addini(
        "dockerctl_lab_scope", "the scope of `dockerctl_lab`: function, module or session", default=""
    )


SCOPES = ("function", "module", "session")


def pytest_configure(config: pytest.Config) -> None:
    # a marker name only: no environment variable, testcontainers setting or engine is touched here
    config.addinivalue_line("markers", "dockerctl: a test that brings up dockerctl labs on a real engine")


def _lab_scope(fixture_name: str, config: pytest.Config) -> Any:
    scope = (
        config.getoption("dockerctl_lab_scope", None) or config.getini("dockerctl_lab_scope") or "function"
    )
    if scope not in SCOPES:
        raise pytest.UsageError(f"dockerctl_lab_scope = {scope!r}: use one of {', '.join(SCOPES)}")
    return scope


@pytest.fixture
def dockerctl_evidence(record_property: Recorder) -> Iterator[Recorder]:
    """Every dockerctl assertion that fails in this test attaches its table (asked / engine / kernel /
    file) to the test's JUnit report as the property `dockerctl_evidence`."""
    token = RECORDER.set(record_property)
    try:
        yield record_property
    finally:
        RECORDER.reset(token)


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


@contextlib.contextmanager
def _labs(engine: Engine, request: pytest.FixtureRequest) -> Iterator[LabFactory]:
    """A lab factory; every lab it made is removed when the block ends."""
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


def _lab_fixture(name: str, scope: Any, doc: str) -> Any:
    """A fixture `name` handing out labs (`LabFactory`), torn down at the end of its scope."""

    def labs(
        dockerctl_engine_handle: Engine, dockerctl_base_image: str, request: pytest.FixtureRequest
    ) -> Iterator[LabFactory]:
        with _labs(dockerctl_engine_handle, request) as factory:
            yield factory

    labs.__doc__ = doc
    return pytest.fixture(scope=scope, name=name)(labs)


dockerctl_lab = _lab_fixture(
    "dockerctl_lab",
    _lab_scope,
    "Labs for one test — or one module / the session with `--dockerctl-lab-scope`.",
)
dockerctl_module_lab = _lab_fixture(
    "dockerctl_module_lab", "module", "Labs shared by the tests of one module, torn down after its last test."
)
dockerctl_session_lab = _lab_fixture(
    "dockerctl_session_lab", "session", "Labs shared by the whole session, torn down after its last test."
)


def _is_playbook(path: Path) -> bool:
    try:
        return any(line.startswith("version:") for line in path.read_text().splitlines())
    except OSError:
        return False
