"""SIGINT and SIGTERM at every phase of `play` and `down`: one sentence saying what the run had done, the
documented exit code (130 / 143, or 0 when the run had already finished), and nothing of the lab left — no
container, network or volume, no held lock. `down` is never half-done: stopped before it began, the lab is
whole (and the next `down` removes it); once begun, the removal finishes before the signal takes effect.

Each phase is hit on any machine, fast or busy: the run notes the phases it reaches in a file
(DOCKERCTL_TEST_PHASES) and waits at the one the test names (DOCKERCTL_TEST_PAUSE_AT) until the signal comes;
a phase inside a removal (which defers signals) is signalled as soon as it is reached. A few wall-clock
points remain as extra coverage, with assertions that hold whatever phase they land in."""

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
POINTS = [0.4, 1.2, 2.5, 4.5]  # seconds after start, landing in whatever phase this machine is in by then
SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
CODE = {signal.SIGINT: 130, signal.SIGTERM: 143}


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


def _signalled_at(argv: list[str], sig: int, phase: str, tmp: Path, *, pause: bool) -> tuple[int, str]:
    """Run dockerctl, send `sig` once it reached `phase` (where it waits for it when `pause`)."""
    log = tmp / "phases"
    env = {**os.environ, "DOCKERCTL_TEST_PHASES": str(log)}
    if pause:
        env["DOCKERCTL_TEST_PAUSE_AT"] = phase
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 150
    while proc.poll() is None and time.monotonic() < deadline:
        if log.exists() and phase in log.read_text().split():
            proc.send_signal(sig)
            break
        time.sleep(0.02)
    _, err = proc.communicate(timeout=180)
    reached = log.read_text().split() if log.exists() else []
    assert phase in reached, f"the run never reached {phase} (it reached {reached}): {err}"
    return proc.returncode, err


def _last(err: str) -> str:
    return err.strip().splitlines()[-1] if err.strip() else ""


# play's phases where a signal may land at once (the run waits there for it), and what it then says it did
PLAY_PHASES = {
    "play:locked": "nothing of lab {lab} was made",
    "play:building": "lab {lab} was removed",
    "play:applying": "lab {lab} was removed",
    "play:verifying": "lab {lab} was removed",
}


@pytest.mark.parametrize("phase", list(PLAY_PHASES))
@SIGNALS
def test_play_stopped_at_each_phase_says_what_it_did_and_leaves_nothing(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int, phase: str
) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(BODY.format(lab=lab))
    rc, err = _signalled_at(["play", str(path)], sig, phase, tmp_path, pause=True)
    assert rc == CODE[sig], err
    assert "Traceback" not in err
    assert (
        _last(err)
        == f"dockerctl: stopped by {signal.Signals(sig).name}; {PLAY_PHASES[phase].format(lab=lab)}"
    )
    assert _left(engine, lab) == []
    assert not (STATE / "locks" / f"{lab}.holder").exists()


@SIGNALS
def test_play_stopped_while_tearing_down_finishes_the_removal(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int
) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(BODY.format(lab=lab))
    rc, err = _signalled_at(["play", str(path)], sig, "play:tearing-down", tmp_path, pause=False)
    assert rc in (CODE[sig], 0), err  # 0: the run was over before the signal arrived
    assert "Traceback" not in err
    if rc:
        assert _last(err) == f"dockerctl: stopped by {signal.Signals(sig).name}; lab {lab} was removed", err
    assert _left(engine, lab) == []
    assert not (STATE / "locks" / f"{lab}.holder").exists()


@pytest.mark.parametrize("after", POINTS)
@SIGNALS
def test_play_interrupted_anywhere_leaves_nothing(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int, after: float
) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(BODY.format(lab=lab))
    rc, err = _signalled(["play", str(path)], sig, after)
    expected = CODE[sig]
    assert rc in (expected, 0), err
    assert "Traceback" not in err
    if rc == expected:
        assert err.strip().splitlines()[-1].startswith("dockerctl: "), err
    assert _left(engine, lab) == []
    assert not (STATE / "locks" / f"{lab}.holder").exists()  # the lock went with the run


def _kept(engine: docker.DockerClient, lab: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "lab.yaml"
    path.write_text(BODY.format(lab=lab))
    kept = subprocess.run(
        [sys.executable, "-m", "dockerctl", "play", str(path), "--keep"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert kept.returncode == 0, kept.stderr
    return sorted(_left(engine, lab))


def _down_again(engine: docker.DockerClient, lab: str) -> None:
    again = subprocess.run(
        [sys.executable, "-m", "dockerctl", "down", "--lab", lab, "--volumes"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert _left(engine, lab) == []


@SIGNALS
def test_down_stopped_before_it_began_did_nothing_and_says_so(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int
) -> None:
    whole = _kept(engine, lab, tmp_path)
    rc, err = _signalled_at(["down", "--lab", lab, "--volumes"], sig, "down:locked", tmp_path, pause=True)
    assert rc == CODE[sig], err
    assert "Traceback" not in err
    assert sorted(_left(engine, lab)) == whole  # nothing was removed …
    assert _last(err) == (  # … and the user is told so, not that something was removed
        f"dockerctl: stopped by {signal.Signals(sig).name}; nothing was done: lab {lab} is whole "
        f"(`dockerctl down --lab {lab}` removes it)"
    )
    assert not (STATE / "locks" / f"{lab}.holder").exists()
    _down_again(engine, lab)


@SIGNALS
def test_down_stopped_while_removing_finishes_the_removal(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int
) -> None:
    _kept(engine, lab, tmp_path)
    rc, err = _signalled_at(["down", "--lab", lab, "--volumes"], sig, "down:removing", tmp_path, pause=False)
    assert rc in (CODE[sig], 0), err
    assert "Traceback" not in err
    assert _left(engine, lab) == []  # the removal is never cut short
    if rc:
        assert _last(err) == (
            f"dockerctl: stopped by {signal.Signals(sig).name}; lab {lab} was removed first "
            "(a removal is never cut short)"
        )


@pytest.mark.parametrize("after", [0.3, 1.0])
@SIGNALS
def test_down_interrupted_anywhere_still_removes_the_lab(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, sig: int, after: float
) -> None:
    whole = _kept(engine, lab, tmp_path)
    rc, err = _signalled(["down", "--lab", lab, "--volumes"], sig, after)
    assert rc in (CODE[sig], 0), err
    assert "Traceback" not in err
    # never half-done: stopped before it began, the lab is whole; once begun, the removal is not cut short
    left = sorted(_left(engine, lab))
    assert left in ([], whole), err
    if left:
        assert "nothing was done" in _last(err), err
        _down_again(engine, lab)
    elif rc:
        assert "removed" in _last(err) and "nothing was done" not in err, err
