"""Faults a lab meets: a volume filled to its size, a host's link to the lab switch going down (and
back up). Each case checks what the user sees — one clear sentence, the documented exit code — and what
is left. (Engines killed mid-play: tests/integration/test_hosts_live.py and test_labs_across_hosts.py;
SIGINT/SIGTERM: test_signals.py; an unwritable state directory: tests/integration/test_lab_lock.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import docker

PLAYBOOKS = Path(__file__).parents[2] / "playbooks"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "300"}, check=False,
    )  # fmt: skip


def test_a_volume_filled_to_its_size_is_a_clear_error_and_other_volumes_are_untouched(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path
) -> None:
    assert _cli("vol", "create", f"{lab}-full", "--lab", lab, "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                "--opt", "o=size=1m").returncode == 0  # fmt: skip
    assert _cli("vol", "create", f"{lab}-keep", "--lab", lab).returncode == 0
    run = _cli(
        "run",
        "--lab",
        lab,
        "--name",
        f"{lab}-c",
        "-v",
        f"{lab}-full:/full",
        "-v",
        f"{lab}-keep:/keep",
        base_image,
    )
    assert run.returncode == 0, run.stderr
    c = engine.containers.get(f"{lab}-c")
    c.exec_run(["sh", "-c", "head -c 300000 /dev/urandom > /keep/data.bin"])
    before = hashlib.sha256(c.exec_run(["cat", "/keep/data.bin"]).output).hexdigest()
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2_000_000))
    done = _cli("cp", str(big), f"{lab}-c:/full/big.bin")
    assert done.returncode == 5, done.stdout + done.stderr
    assert (
        "full or too small" in done.stderr
        and "nothing was copied" in done.stderr
        and "Traceback" not in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1
    assert c.exec_run(["ls", "/full"]).output.decode().strip() == ""  # no partial file
    # the volume filled from inside: a write fails with ENOSPC, the other volume keeps every byte
    assert c.exec_run(["sh", "-c", "dd if=/dev/zero of=/full/x bs=1k count=2000"]).exit_code != 0
    after = hashlib.sha256(c.exec_run(["cat", "/keep/data.bin"]).output).hexdigest()
    assert after == before


def test_a_hosts_switch_link_down_is_isolated_with_the_reason_and_recovers() -> None:
    up = _cli("play", str(PLAYBOOKS / "macvlan-hosts.yaml"), "--keep", "--json")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        hosts = json.loads(up.stdout)["hosts"]
        check = ["-H", hosts["mvh1"], "net", "check", "macvlan-hosts-m1", "macvlan-hosts-m2", "--json"]
        assert _cli(*check).returncode == 0  # reachable across the switch
        subprocess.run(["ip", "link", "set", "dh-mvh2", "down"], check=True)
        cut = _cli(*check, "--expect", "isolated")
        assert cut.returncode == 0, cut.stdout + cut.stderr  # isolated, as expected now
        notes = json.loads(cut.stdout)["notes"]
        assert any("lab-switch link of host mvh2 (dh-mvh2) is down" in n for n in notes), notes
        assert _cli(*check).returncode == 1  # and `reachable` says it does not hold
        subprocess.run(["ip", "link", "set", "dh-mvh2", "up"], check=True)
        deadline = time.monotonic() + 20
        while _cli(*check).returncode != 0:  # the link is back: the path recovers
            assert time.monotonic() < deadline, "no recovery after the link came back up"
            time.sleep(1)
    finally:
        subprocess.run(["ip", "link", "set", "dh-mvh2", "up"], check=False)
        assert _cli("down", "--lab", "macvlan-hosts", "--volumes").returncode == 0
