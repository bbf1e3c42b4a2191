"""What a new user tripped over, each pinned: run parses like `docker run`, an empty --lab is refused,
a playbook section written as a list gets FILE:LINE with the right form."""

from __future__ import annotations

import docker
import pytest

from tests.e2e.conftest import Cli


def _labelled(engine: docker.DockerClient, lab: str) -> list[str]:
    f = {"label": f"io.dockerctl.lab={lab}"}
    return [
        c.attrs["Names"][0].lstrip("/") for c in engine.containers.list(all=True, sparse=True, filters=f)
    ] + [v.name for v in engine.volumes.list(filters=f)]


def test_run_stops_parsing_options_at_the_image(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    # copied from a docker command: the command's own dashes belong to the container
    done = cli(
        "run", "--lab", lab, "--name", f"{lab}-hi", base_image, "sh", "-c", "echo hi-from-sh; sleep 30"
    )
    assert done.returncode == 0, done.stderr
    c = engine.containers.get(f"{lab}-hi")
    assert c.attrs["Config"]["Cmd"] == ["sh", "-c", "echo hi-from-sh; sleep 30"]
    assert "hi-from-sh" in c.logs().decode()
    # an option after IMAGE is the container's, as with docker: here `-m` is passed to the command
    done = cli("run", "--lab", lab, "--name", f"{lab}-opt", base_image, "echo", "-m", "64m")
    assert done.returncode == 0, done.stderr
    opt = engine.containers.get(f"{lab}-opt")
    assert opt.attrs["Config"]["Cmd"] == ["echo", "-m", "64m"] and opt.attrs["HostConfig"]["Memory"] == 0
    # the `--` older scripts put after IMAGE is dropped, not run
    done = cli("run", "--lab", lab, "--name", f"{lab}-dash", base_image, "--", "sh", "-c", "sleep 30")
    assert done.returncode == 0, done.stderr
    assert engine.containers.get(f"{lab}-dash").attrs["Config"]["Cmd"] == ["sh", "-c", "sleep 30"]


@pytest.mark.parametrize(
    "args",
    [
        ["down", "--lab", ""],
        ["cleanup", "--lab", ""],
        ["down", "--lab", "../x"],
        ["run", "--lab", "", "dockerctl/base"],
    ],
)
def test_an_empty_or_odd_lab_name_is_refused_and_touches_nothing(
    cli: Cli, engine: docker.DockerClient, base_image: str, lab: str, args: list[str]
) -> None:
    assert cli("run", "--lab", lab, "--name", f"{lab}-keep", base_image).returncode == 0
    done = cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--lab" in done.stderr and "lab name" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert _labelled(engine, lab) == [f"{lab}-keep"]  # nothing of any lab was removed


def test_containers_as_a_list_is_an_error_at_its_line_with_the_mapping_form(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "listy.yaml"
    path.write_text("version: 1\nname: listy\n\ncontainers:\n  - name: x\n    memory: 64M\n")
    for command in (["playbook", "validate"], ["play", "--dry-run"]):
        done = cli(*command, str(path))
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert f"{path}:4:" in done.stderr and "containers: is a list" in done.stderr
        assert "web: {image: dockerctl/base, memory: 64M}" in done.stderr
