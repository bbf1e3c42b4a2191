"""`run`/`limits`/`update` as a user runs them: every bad limit names its flag and changes nothing;
a limit the kernel does not enforce fails the command (exit 1) so CI can gate on it."""

from __future__ import annotations

import json

import docker
import pytest

from tests.e2e.conftest import Cli


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["-c", "1"], "-c/--cpu-shares"),
        (["--blkio-weight", "5"], "--blkio-weight"),
        (["--blkio-weight", "1001"], "--blkio-weight"),
        (["--cpus", "64"], "--cpus"),
        (["--cpuset-cpus", "63"], "--cpuset-cpus"),
        (["--cpuset-cpus", "0-"], "--cpuset-cpus"),
        (["--pids-limit", "-5"], "--pids-limit"),
        (["--device-write-bps", "/dev/does-not-exist:1mb"], "--device-write-bps"),
        (["--device-write-bps", "/dev/null:1mb"], "--device-write-bps"),
        (["--device-read-bps", "/dev/vda:0"], "--device-read-bps"),
        (["--device-read-iops", "/dev/vda:x"], "--device-read-iops"),
        (["--device-write-iops", "vda:10"], "--device-write-iops"),
    ],
)
def test_bad_limit_names_its_flag_and_creates_nothing(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, args: list[str], flag: str
) -> None:
    before = {c.id for c in engine.containers.list(all=True, sparse=True)}
    done = cli("run", "--lab", lab, *args, base_image)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"dockerctl: error: {flag}:"), done.stderr
    assert {c.id for c in engine.containers.list(all=True, sparse=True)} == before


def test_unenforced_weight_fails_the_run_for_ci(cli: Cli, base_image: str, lab: str) -> None:
    done = cli("run", "--lab", lab, "-m", "64m", "--blkio-weight", "300", "--verify", "--json", base_image)
    report = json.loads(done.stdout)
    weight = next(c for c in report["checks"] if c["subject"] == "blkio weight")
    if weight["verdict"] == "not-enforced":
        assert done.returncode == 1 and report["ok"] is False
    else:
        assert done.returncode == 0


def test_limits_and_update_commands(cli: Cli, engine: docker.DockerClient, base_image: str, lab: str) -> None:
    name = f"{lab}-upd"
    assert (
        cli("run", "--lab", lab, "--name", name, "-m", "100M", "--pids-limit", "40", base_image).returncode
        == 0
    )
    done = cli("limits", name, "--json")
    assert done.returncode == 0, done.stdout
    checks = {c["subject"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["pids"]["observed"] == "40" and checks["pids"]["verdict"] == "enforced"
    done = cli("update", name, "--cpus", "0.5", "--pids-limit", "25", "--verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "updated" in done.stdout and "all" in done.stdout and "limits hold" in done.stdout
    assert cli("limits", name).returncode == 0
    bad = cli("update", name, "-m", "500M")
    assert bad.returncode == 2 and "memory+swap" in bad.stderr
    assert cli("update", name).returncode == 2
    assert cli("limits", f"{lab}-absent").returncode == 4
