"""The CLI grammar of issue 41 against the real engine: `down` and `hosts down` keep volumes unless
--volumes (as `docker compose down`), and action commands print one JSON document with --format json /
--json."""

from __future__ import annotations

import json

import docker
import docker.errors
import pytest

from tests.e2e.conftest import Cli


def _gone(get: object, name: str) -> bool:
    try:
        get(name)  # type: ignore[operator]
    except docker.errors.NotFound:
        return True
    return False


@pytest.mark.parametrize("down", [["down"], ["hosts", "down"]], ids=["down", "hosts-down"])
def test_down_keeps_the_labs_volumes_unless_volumes(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, down: list[str]
) -> None:
    vol, box = f"{lab}-data", f"{lab}-box"
    assert cli("vol", "create", vol, "--lab", lab).returncode == 0
    made = cli("run", "--lab", lab, "--name", box, "-v", f"{vol}:/data", base_image)
    assert made.returncode == 0, made.stderr

    kept = cli(*down, "--lab", lab, "--format", "json")
    assert kept.returncode == 0, kept.stderr
    report = json.loads(kept.stdout)
    if down == ["down"]:
        assert report["containers"] == [box] and report["volumes"] == []
    else:  # `hosts down` counts what it removed: the container alone
        assert report["resources"] == 1
    assert _gone(engine.containers.get, box)
    assert engine.volumes.get(vol).name == vol  # the data is still there

    if down == ["down"]:
        old = cli("down", "--lab", lab, "--keep-volumes")  # old scripts: accepted, the default, said so
        assert old.returncode == 0 and "--keep-volumes is the default now" in old.stderr
        assert engine.volumes.get(vol).name == vol

    removed = cli(*down, "--lab", lab, "-v", "--json")
    assert removed.returncode == 0, removed.stderr
    if down == ["down"]:
        assert json.loads(removed.stdout)["volumes"] == [vol]
    else:
        assert json.loads(removed.stdout)["resources"] == 1
    assert _gone(engine.volumes.get, vol)


def test_network_actions_print_one_json_document(cli: Cli, engine: docker.DockerClient, lab: str) -> None:
    name = f"{lab}-n"
    made = cli("net", "create", name, "--lab", lab, "--format", "json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert created["name"] == name and engine.networks.get(name).id == created["id"]

    gone = cli("net", "rm", name, "--json")
    assert gone.returncode == 0, gone.stderr
    assert json.loads(gone.stdout) == {"removed": [name]}
    assert _gone(engine.networks.get, name)


@pytest.mark.parametrize("spelling", [["--format", "json"], ["--json"]])
def test_rm_reports_what_it_removed_as_json(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, spelling: list[str]
) -> None:
    box = f"{lab}-rm"
    assert cli("run", "--lab", lab, "--name", box, base_image).returncode == 0
    done = cli("rm", "-f", box, *spelling)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"removed": [box]}
    assert _gone(engine.containers.get, box)
