"""The unit parser against the docker CLI itself, on this engine: `docker create -m X` → HostConfig.Memory."""

from __future__ import annotations

import shutil
import subprocess

import docker
import pytest

from dockerctl.engines.labels import LAB, MANAGED
from dockerctl.errors import InvalidInput
from dockerctl.spec.units import parse_size

SIZES = ["100M", "2g", "30MB", "1.5g", "100 M", "6MiB", "6.5m", "1e2m", "100mib", "100000001", "7340032b"]
BAD = ["100X", "1.5k+", "-2", "10kk"]

pytestmark = pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")


def _create(size: str, image: str, lab: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "create", "--label", f"{MANAGED}=true", "--label", f"{LAB}={lab}", "-m", size, image],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("size", SIZES)
def test_parser_agrees_with_docker_cli(
    engine: docker.DockerClient, base_image: str, lab: str, size: str
) -> None:
    done = _create(size, base_image, lab)
    assert done.returncode == 0, done.stderr
    memory = engine.api.inspect_container(done.stdout.strip())["HostConfig"]["Memory"]
    assert parse_size(size) == memory


@pytest.mark.parametrize("size", BAD)
def test_parser_refuses_what_docker_cli_refuses(base_image: str, lab: str, size: str) -> None:
    done = _create(size, base_image, lab)
    assert done.returncode != 0
    with pytest.raises(InvalidInput):
        parse_size(size)
