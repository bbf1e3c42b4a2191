"""`play`, `down` and `playbook` as a user runs them."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import docker

from tests.e2e.conftest import Cli


def test_play_reports_and_gates(
    cli: Cli, engine: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    name = f"e2e-{uuid.uuid4().hex[:6]}"
    good = tmp_path / "good.yaml"
    good.write_text(
        f"version: 1\nname: {name}\ncontainers:\n  a: {{memory: 64M}}\n"
        "expect:\n  - {claim: R1, limits: {container: a, memory: 64M}}\n"
    )
    dry = cli("play", str(good), "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["plan"][0]["action"] == "create"
    assert engine.containers.list(all=True, sparse=True, filters={"label": f"io.dockerctl.lab={name}"}) == []
    junit = tmp_path / "r.xml"
    done = cli("play", str(good), "--junit", str(junit))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all 1 checks hold" in done.stdout
    assert ET.parse(junit).getroot().get("failures") == "0"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(good.read_text().replace("memory: 64M}}", "memory: 32M}}"))
    failed = cli("play", str(wrong), "--json")
    assert failed.returncode == 1 and json.loads(failed.stdout)["ok"] is False


def test_bad_playbook_says_file_and_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\ncontainers:\n  a:\n    memory: 64Q\n")
    for args in (["play", str(bad)], ["playbook", "validate", str(bad)]):
        done = cli(*args)
        assert done.returncode == 2
        assert done.stderr.startswith(f"dockerctl: error: {bad}:5: containers.a.memory:"), done.stderr
    schema = json.loads(cli("playbook", "schema").stdout)
    assert {"version", "name", "containers", "expect"} <= set(schema["properties"])
    assert cli("down").returncode == 2


def test_ctrl_c_half_way_removes_what_the_run_made(
    engine: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    name = f"sigint-{uuid.uuid4().hex[:6]}"
    pb = tmp_path / "slow.yaml"
    pb.write_text(
        f"version: 1\nname: {name}\nvolumes: {{v: {{}}}}\ncontainers:\n"
        + "".join(f"  c{i}: {{volumes: ['v:/v']}}\n" for i in range(15))
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "play", str(pb), "--parallel", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    label = {"label": f"io.dockerctl.lab={name}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not engine.containers.list(all=True, sparse=True, filters=label):
        time.sleep(0.05)
    assert engine.containers.list(all=True, sparse=True, filters=label), "the run never started creating"
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert engine.containers.list(all=True, sparse=True, filters=label) == []
    assert engine.volumes.list(filters=label) == []
