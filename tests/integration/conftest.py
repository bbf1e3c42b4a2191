"""Real engine, real kernel. Every resource a test makes carries a per-test lab label and is removed by
label when the test ends, pass or fail; resources made without labels (a user's, simulated) are removed
by the test that made them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import pytest

from dockerctl.apply.cleanup import remove_owned
from dockerctl.engines.engine import Engine
from dockerctl.hosts import LocalHost


# the project's own tests use its pytest plugin's fixtures (dogfooding: dockerctl.testing.plugin)
@pytest.fixture(scope="session")
def engine(dockerctl_engine: docker.DockerClient) -> docker.DockerClient:
    return dockerctl_engine


@pytest.fixture(scope="session")
def base_image(dockerctl_base_image: str) -> str:
    return dockerctl_base_image


@pytest.fixture
def lab(engine: docker.DockerClient) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    remove_owned(engine, lab=name, volumes=True)
    leftover = engine.containers.list(all=True, sparse=True, filters={"label": f"io.dockerctl.lab={name}"})
    assert not leftover, f"lab {name} left containers behind: {leftover}"


@pytest.fixture(scope="session")
def disk(engine: docker.DockerClient) -> str:
    """The whole disk under the engine's data root: the one container writes really land on."""
    from dockerctl.observe.devices import device_of_directory

    dev = device_of_directory(LocalHost(), engine.info()["DockerRootDir"])
    if dev is None:
        pytest.skip("the engine's data root is not on a block device")
    return dev


@pytest.fixture(scope="session")
def eng(dockerctl_engine_handle: Engine) -> Engine:
    """The same engine as an Engine: client + the host its kernel is read on (this machine here)."""
    return dockerctl_engine_handle
