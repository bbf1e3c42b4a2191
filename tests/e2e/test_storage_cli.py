"""Storage commands as a user runs them: bad mounts name their flag and create nothing; destructive
prune needs an explicit --yes without a terminal; cp and vol commands report what they did."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest

from tests.e2e.conftest import Cli


@pytest.mark.parametrize(
    ("args", "flag", "code"),
    [
        (["-v", "/tmp:/"], "-v/--volume", 2),
        (["-v", "bad@name:/x"], "-v/--volume", 2),
        (["-v", "x"], "-v/--volume", 2),
        (["--mount", "type=bind,source=/nonexistent-dockerctl,target=/x"], "--mount", 2),
        (["-v", "/var/run:/r"], "-v/--volume", 2),
        (["--volumes-from", "no-such-container-dockerctl"], "--volumes-from", 4),
    ],
)
def test_bad_mounts(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, args: list[str], flag: str, code: int
) -> None:
    before = (
        {c.id for c in engine.containers.list(all=True, sparse=True)},
        {v.name for v in engine.volumes.list()},
    )
    done = cli("run", "--lab", lab, *args, base_image)
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith(f"dockerctl: error: {flag}:"), done.stderr
    after = (
        {c.id for c in engine.containers.list(all=True, sparse=True)},
        {v.name for v in engine.volumes.list()},
    )
    assert after == before


def test_prune_any_owner_needs_yes_without_a_terminal(cli: Cli) -> None:
    done = cli("vol", "prune", "--any-owner")
    assert done.returncode == 2 and "--yes" in done.stderr


def test_vol_and_cp_commands(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path
) -> None:
    name = f"{lab}-v"
    assert cli("vol", "create", name, "--lab", lab).returncode == 0
    assert "exists already" in cli("vol", "create", name, "--lab", lab).stdout  # idempotent
    box = f"{lab}-box"
    assert cli("run", "--lab", lab, "--name", box, "-v", f"{name}:/data", base_image).returncode == 0
    listed = {v["name"]: v for v in json.loads(cli("vol", "ls", "--json").stdout)}
    assert listed[name]["used_by"] == [box]
    (tmp_path / "hello.txt").write_text("hello\n")
    done = cli("cp", str(tmp_path / "hello.txt"), f"{box}:/data/", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["destination"] == f"{box}:/data/hello.txt"
    assert cli("cp", f"{box}:/data/hello.txt", str(tmp_path / "back.txt")).returncode == 0
    assert (tmp_path / "back.txt").read_text() == "hello\n"
    rm = cli("vol", "rm", name)
    assert rm.returncode == 5 and "in use" in rm.stderr
    report = json.loads(cli("mounts", box, "--prove", "--json").stdout)
    assert report["ok"] and any(m["mount_point"] == "/data" and m["source"] == name for m in report["mounts"])
    assert cli("cp", "/tmp/x", "/tmp/y").returncode == 2
