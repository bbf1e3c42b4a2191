"""SIGINT and SIGTERM at 28 points of `play` and `down`: one sentence and the documented exit code
(130 / 143, or 0 when the run had already finished), and nothing of the lab left — no container,
network or volume, no held lock. `down` is never half-done: stopped before it began, the lab is whole
(and the next `down` removes it); once begun, the removal finishes before the signal takes effect."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

STATE = Path(os.environ.get("DOCKERCTL_STATE_DIR", "/var/lib/dockerctl-state"))
BODY = """version: 1
name: {lab}
networks: {{front: {{}}, back: {{}}}}
volumes: {{data: {{}}}}
containers:
  a: {{networks: [front], memory: 32M, volumes: ["data:/d"]}}
  b: {{networks: [front]}}
  c: {{networks: [back], pids_limit: 50}}
  d: {{networks: [back]}}
expect:
  - {{claim: C1, reachable: {{from: a, to: b, by: name}}}}
  - {{claim: C1, isolated: {{from: a, to: c}}}}
"""
POINTS = [0.4, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0, 3.5, 4.5, 6.0]  # seconds after start: parse … teardown


def _left(engine: docker.DockerClient, lab: str) -> list[str]:
    f = {"label": f"io.dockerctl.lab={lab}"}
    return (
        [f"container {c.id[:12]}" for c in engine.containers.list(all=True, sparse=True, filters=f)]
        + [f"network {n.name}" for n in engine.networks.list(filters=f)]
        + [f"volume {v.name}" for v in engine.volumes.list(filters=f)]
    )


def _signalled(argv: list[str], sig: int, after: float) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(after)
    if proc.poll() is None:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=180)
    return proc.returncode, err


@pytest.mark.parametrize("after", POINTS)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_play_interrupted_anywhere_leaves_nothing(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int, after: float
) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(BODY.format(lab=lab))
    rc, err = _signalled(["play", str(path)], sig, after)
    expected = {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
    assert rc in (expected, 0), err
    assert "Traceback" not in err
    if rc == expected:
        assert err.strip().splitlines()[-1].startswith("dockerctl: "), err
    assert _left(engine, lab) == []
    assert not (STATE / "locks" / f"{lab}.holder").exists()  # the lock went with the run


@pytest.mark.parametrize("after", [0.3, 0.7, 1.0, 1.5])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_down_interrupted_anywhere_still_removes_the_lab(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int, after: float
) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(BODY.format(lab=lab))
    kept = subprocess.run(
        [sys.executable, "-m", "dockerctl", "play", str(path), "--keep"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert kept.returncode == 0, kept.stderr
    whole = sorted(_left(engine, lab))
    rc, err = _signalled(["down", "--lab", lab], sig, after)
    assert rc in ({signal.SIGINT: 130, signal.SIGTERM: 143}[sig], 0), err
    assert "Traceback" not in err
    # never half-done: stopped before it began, the lab is whole; once begun, the removal is not cut short
    left = sorted(_left(engine, lab))
    assert left in ([], whole), err
    if left:
        assert "nothing was done" in err
        again = subprocess.run(
            [sys.executable, "-m", "dockerctl", "down", "--lab", lab], capture_output=True, check=False
        )
        assert again.returncode == 0 and _left(engine, lab) == []
