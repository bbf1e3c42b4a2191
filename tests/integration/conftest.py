"""Real engine, real kernel. Every resource a test makes carries a per-test lab label and is removed by
label when the test ends, pass or fail; resources made without labels (a user's, simulated) are removed
by the test that made them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import docker
import pytest

from dockerctl.apply.cleanup import remove_owned
from dockerctl.apply.client import connect
from dockerctl.errors import EngineUnavailable
from dockerctl.lab.images import BASE_IMAGE, build_base_image

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    try:
        client = connect()
    except EngineUnavailable as exc:
        if os.environ.get("DOCKERCTL_REQUIRE_ENGINE") == "1":
            pytest.fail(f"integration tests need an engine: {exc}")
        pytest.skip(str(exc))
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_image(engine: docker.DockerClient) -> str:
    build_base_image(engine)
    return BASE_IMAGE


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

    dev = device_of_directory(engine.info()["DockerRootDir"])
    if dev is None:
        pytest.skip("the engine's data root is not on a block device")
    return dev
