"""Ownership: cleanup removes only labelled resources; a failed start leaves no container behind."""

from __future__ import annotations

import contextlib
import uuid

import docker
import docker.errors
import pytest

from dockerctl.apply.cleanup import remove_owned
from dockerctl.apply.containers import create_and_start
from dockerctl.engines.labels import owned
from dockerctl.errors import DockerctlError, NotFound
from dockerctl.spec.models import ContainerSpec


def _exists(getter: object, ref: str) -> bool:
    try:
        getter(ref)  # type: ignore[operator]
    except docker.errors.NotFound:
        return False
    return True


def test_cleanup_never_touches_user_resources(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    tag = uuid.uuid4().hex[:8]
    users = []
    try:
        # the "user's own" resources: no dockerctl labels, made by the user (here: this test)
        user_c = engine.containers.create(base_image, name=f"user-c-{tag}")
        users.append(user_c)
        user_n = engine.networks.create(f"user-n-{tag}")
        users.append(user_n)
        user_v = engine.volumes.create(f"user-v-{tag}")
        users.append(user_v)
        ours_c = create_and_start(engine, ContainerSpec(image=base_image, name=f"ours-c-{tag}", lab=lab))
        ours_n = engine.networks.create(f"ours-n-{tag}", labels=owned(lab))
        ours_v = engine.volumes.create(f"ours-v-{tag}", labels=owned(lab))

        removed = remove_owned(engine, lab=lab)
        assert removed.containers == [ours_c.name]
        assert removed.networks == [ours_n.name]
        assert removed.volumes == []  # volume data is kept unless asked for
        assert not _exists(engine.containers.get, ours_c.id)
        assert not _exists(engine.networks.get, ours_n.id)
        assert _exists(engine.volumes.get, ours_v.name)

        removed = remove_owned(engine, lab=lab, volumes=True)
        assert removed.volumes == [ours_v.name]
        assert not _exists(engine.volumes.get, ours_v.name)

        # a cleanup of ALL dockerctl resources still leaves the user's alone
        remove_owned(engine, volumes=True)
        assert _exists(engine.containers.get, user_c.id)
        assert _exists(engine.networks.get, user_n.id)
        assert _exists(engine.volumes.get, user_v.name)
    finally:
        for resource in users:  # each one, even if removing another fails
            with contextlib.suppress(docker.errors.NotFound):
                if isinstance(resource, docker.models.containers.Container):
                    resource.remove(force=True)
                else:
                    resource.remove()


def test_failed_start_leaves_no_container(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    name = f"nostart-{uuid.uuid4().hex[:8]}"
    spec = ContainerSpec(image=base_image, name=name, command=["/no/such/binary"], lab=lab)
    with pytest.raises(DockerctlError):
        create_and_start(engine, spec)
    assert not _exists(engine.containers.get, name)


def test_missing_image_is_refused_before_create(engine: docker.DockerClient, lab: str) -> None:
    before = len(engine.containers.list(all=True, sparse=True))
    with pytest.raises(NotFound, match="never pulls"):
        create_and_start(engine, ContainerSpec(image=f"dockerctl/absent-{uuid.uuid4().hex[:6]}:x", lab=lab))
    assert len(engine.containers.list(all=True, sparse=True)) == before
