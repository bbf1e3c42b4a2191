"""The lab lock: a second `play`/`down` of the same lab refuses at once naming the holder, or waits
with --wait; a lock left by a killed process is taken over (and said so); other labs run in parallel;
an unwritable state directory is one sentence and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import docker

STATE = Path(os.environ.get("DOCKERCTL_STATE_DIR", "/var/lib/dockerctl-state"))
HOLD = (  # holds the lab's lock until a line arrives on its stdin (or it is killed)
    "import sys\n"
    "from dockerctl.engines.locks import lab_lock\n"
    "with lab_lock(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.readline()\n"
)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200", **(env or {})}, check=False,
    )  # fmt: skip


def _hold(lab: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, lab], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _playbook(tmp_path: Path, lab: str) -> Path:
    path = tmp_path / f"{lab}.yaml"
    path.write_text(f"version: 1\nname: {lab}\ncontainers:\n  a: {{memory: 32M}}\n")
    return path


def test_second_run_refuses_naming_the_holder_or_waits(
    tmp_path: Path, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    path = _playbook(tmp_path, lab)
    holder = _hold(lab)
    try:
        refused = _cli("play", str(path))
        assert refused.returncode == 5, refused.stdout + refused.stderr
        assert f"lab {lab} is being changed by pid {holder.pid}" in refused.stderr
        assert "--wait" in refused.stderr and "Traceback" not in refused.stderr
        assert engine.containers.list(all=True, filters={"label": f"io.dockerctl.lab={lab}"}) == []
        assert _cli("down", "--lab", lab).returncode == 5  # down takes the same lock
        other = _playbook(tmp_path, f"{lab}-x")  # another lab is not held up
        assert _cli("play", str(other)).returncode == 0
        # --wait: the run waits for the lock (it says so in its phases), gets it once the holder lets go
        phases = tmp_path / "phases"
        waiting = subprocess.Popen(
            [sys.executable, "-m", "dockerctl", "play", str(path), "--wait", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "DOCKERCTL_TEST_PHASES": str(phases)},
        )
        deadline = time.monotonic() + 60
        while not (phases.exists() and "lock:waiting" in phases.read_text().split()):
            assert waiting.poll() is None and time.monotonic() < deadline, "the run never waited for the lock"
            time.sleep(0.02)
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        out, err = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, out + err
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over(
    tmp_path: Path, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    holder = _hold(lab)
    holder.kill()  # SIGKILL: no chance to clean up; the kernel drops its flock, its record stays
    holder.wait()
    assert json.loads((STATE / "locks" / f"{lab}.holder").read_text())["pid"] == holder.pid
    done = _cli("play", str(_playbook(tmp_path, lab)), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    notes = json.loads(done.stdout)["notes"]
    assert any(f"left by pid {holder.pid}" in n and "which is gone" in n for n in notes), notes


def test_an_unwritable_state_directory_is_one_sentence_and_changes_nothing(
    tmp_path: Path, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    # root ignores mode bits: a state directory under a regular file cannot be made by anyone
    blocked = tmp_path / "afile"
    blocked.write_text("")
    done = _cli("play", str(_playbook(tmp_path, lab)), env={"DOCKERCTL_STATE_DIR": str(blocked / "state")})
    assert done.returncode == 8, done.stdout + done.stderr
    assert "cannot be written" in done.stderr and "DOCKERCTL_STATE_DIR" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert engine.containers.list(all=True, filters={"label": f"io.dockerctl.lab={lab}"}) == []
