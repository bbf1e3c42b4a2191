"""The dockerctl command as a user runs it: output, exit codes, and that bad input changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

import dockerctl
from tests.e2e.conftest import Cli
from tests.integration.kernel import read_int, v1_memory_dir

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/dockerctl-test.sock"}


ALL_COMMANDS = [
    [],
    ["doctor"],
    ["run"],
    ["limits"],
    ["update"],
    ["prove"],
    ["mounts"],
    ["ns"],
    ["cp"],
    ["rm"],
    ["cleanup"],
    ["image", "build-base"],
    ["vol", "create"],
    ["vol", "ls"],
    ["vol", "inspect"],
    ["vol", "rm"],
    ["vol", "prune"],
    ["vol", "compare"],
    ["plugin", "ls"],
    ["plugin", "serve"],
    ["volume-container", "create"],
    ["net", "ls"],
    ["net", "create"],
    ["net", "inspect"],
    ["net", "connect"],
    ["net", "disconnect"],
    ["net", "rm"],
    ["net", "path"],
    ["net", "check"],
    ["net", "prove"],
    ["net", "cnm"],
    ["hosts", "down"],
    ["down"],
    ["swarm", "init"],
    ["swarm", "leave"],
    ["bench", "net"],
]


def test_version_is_the_packages_and_needs_no_engine(cli: Cli) -> None:
    from dockerctl import __version__

    fast = cli("--version", env=NO_ENGINE)  # answered before the CLI is imported
    assert fast.returncode == 0 and fast.stdout.startswith(f"dockerctl {__version__}\nengine API: ")
    full = cli("-H", "unix:///nonexistent.sock", "--version")  # through the CLI's own option
    assert full.returncode == 0 and full.stdout == fast.stdout


@pytest.mark.parametrize("command", [[], ["net", "cnm"], ["bench", "net"]])
def test_help_is_answered_before_the_imports_with_the_clis_own_text(command: list[str]) -> None:
    # the installed `dockerctl` script (the fast path needs its name); DOCKERCTL_HELP_CACHE=0: the CLI itself
    script = str(Path(sys.executable).parent / "dockerctl")
    env = {**os.environ, "COLUMNS": "120", "DOCKER_HOST": NO_ENGINE["DOCKER_HOST"]}
    written = subprocess.run(
        [script, *command, "--help"], capture_output=True, text=True, env=env, check=False
    )
    cli_own = subprocess.run([script, *command, "--help"], capture_output=True, text=True, check=False,
                             env={**env, "DOCKERCTL_HELP_CACHE": "0"})  # fmt: skip
    assert written.returncode == cli_own.returncode == 0, (written.stderr, cli_own.stderr)
    assert written.stdout == cli_own.stdout and "Usage: dockerctl" in written.stdout
    assert (
        written.stdout
        == json.loads((Path(dockerctl.__file__).parent / "help.json").read_text())[" ".join(command)]
    )
    # a terminal narrower than help's 80 columns gets the CLI's own narrower layout
    narrow = subprocess.run([script, *command, "--help"], capture_output=True, text=True, check=False,
                            env={**env, "COLUMNS": "60"})  # fmt: skip
    assert narrow.returncode == 0 and max(len(line) for line in narrow.stdout.splitlines()) <= 60


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_help_has_examples(cli: Cli, command: list[str]) -> None:
    done = cli(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout and "Example" in done.stdout


def test_run_verify_json_reports_the_kernel_values(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    done = cli("run", "--lab", lab, "--name", f"{lab}-web", "-m", "100M", "--verify", "--json", base_image)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["verified"] is True
    by_subject = {c["subject"]: c for c in report["checks"]}
    assert by_subject["memory"]["verdict"] == "enforced"
    assert by_subject["memory+swap"]["verdict"] == "enforced"
    pid = engine.api.inspect_container(report["container"]["id"])["State"]["Pid"]
    cg = v1_memory_dir(pid)
    assert read_int(cg / "memory.limit_in_bytes") == 104857600
    assert read_int(cg / "memory.memsw.limit_in_bytes") == 209715200
    assert by_subject["memory"]["evidence"] == str(cg / "memory.limit_in_bytes")


def test_run_table_output_for_people(cli: Cli, base_image: str, lab: str) -> None:
    done = cli("run", "--lab", lab, "-m", "64m", "--memory-swap", "64m", "--verify", base_image)
    assert done.returncode == 0, done.stderr
    assert "started" in done.stdout
    assert "67108864 (64MiB)" in done.stdout and "enforced" in done.stdout


@pytest.mark.parametrize(
    ("args", "flag", "code"),
    [
        (["-m", "100X"], "-m/--memory", 2),
        (["-m", "-5M"], "-m/--memory", 2),
        (["--memory-swap", "200M"], "--memory-swap", 2),
        (["-m", "100M", "--memory-swap", "50M"], "--memory-swap", 2),
        (["-m", "512k"], "-m/--memory", 2),
        (["--name", "bad name"], "--name", 2),
    ],
)
def test_bad_input_names_the_flag_and_creates_nothing(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, args: list[str], flag: str, code: int
) -> None:
    before = {c.id for c in engine.containers.list(all=True, sparse=True)}
    done = cli("run", "--lab", lab, *args, base_image)
    assert done.returncode == code
    assert done.stderr.startswith(f"dockerctl: error: {flag}:"), done.stderr
    assert "Traceback" not in done.stderr
    assert {c.id for c in engine.containers.list(all=True, sparse=True)} == before


def test_missing_image_is_never_pulled(cli: Cli, engine: docker.DockerClient, lab: str) -> None:
    before = {c.id for c in engine.containers.list(all=True, sparse=True)}
    done = cli("run", "--lab", lab, "-m", "100M", "dockerctl/not-built:nope")
    assert done.returncode == 4
    assert "never pulls" in done.stderr
    assert {c.id for c in engine.containers.list(all=True, sparse=True)} == before
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get("dockerctl/not-built:nope")


def test_name_in_use_is_a_conflict(cli: Cli, base_image: str, lab: str) -> None:
    assert cli("run", "--lab", lab, "--name", f"{lab}-twice", base_image).returncode == 0
    done = cli("run", "--lab", lab, "--name", f"{lab}-twice", base_image)
    assert done.returncode == 5
    assert "already in use" in done.stderr


def test_no_engine_is_one_sentence_and_exit_3(cli: Cli, base_image: str) -> None:
    for args in (["run", "-m", "100M", base_image], ["cleanup"], ["image", "build-base"]):
        done = cli(*args, env=NO_ENGINE)
        assert done.returncode == 3, (args, done.stderr)
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert "no Docker engine answers at unix:///nonexistent/dockerctl-test.sock" in done.stderr
        assert "Traceback" not in done.stderr


def test_doctor_json(cli: Cli) -> None:
    done = cli("doctor", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["engine_reachable"] is True
    topics = {c["topic"]: c for c in report["capabilities"]}
    for topic in (
        "engine version",
        "storage driver",
        "cgroup version and driver",
        "mounted controllers",
        "memory limit",
        "swap accounting",
        "CPU shares/weight",
        "block-IO weight",
        "device throttling",
        "swarm state",
        "user-namespace remapping",
        "iptables backend",
    ):
        assert topic in topics, topic
        assert topics[topic]["evidence"], topic
    for kind in ("veth", "bridge", "macvlan", "vxlan", "ipvlan", "vlan", "dummy"):
        assert topics[f"link type {kind}"]["verdict"] in ("supported", "not-supported")


def test_doctor_without_engine_still_reads_the_kernel_and_exits_3(cli: Cli) -> None:
    done = cli("doctor", "--json", "--no-links", env=NO_ENGINE)
    assert done.returncode == 3
    report = json.loads(done.stdout)
    assert report["engine_reachable"] is False
    topics = {c["topic"]: c["verdict"] for c in report["capabilities"]}
    assert topics["engine reachable"] == "not-supported"
    assert topics["memory limit"] == "supported"


def test_cleanup_is_scoped_to_its_lab(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    other = f"{lab}-other"
    try:
        assert cli("run", "--lab", lab, base_image).returncode == 0
        assert cli("run", "--lab", other, base_image).returncode == 0
        done = cli("cleanup", "--lab", other, "--json")
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)["containers"]) == 1
        left = engine.containers.list(all=True, sparse=True, filters={"label": f"io.dockerctl.lab={lab}"})
        assert len(left) == 1
    finally:
        cli("cleanup", "--lab", other)
