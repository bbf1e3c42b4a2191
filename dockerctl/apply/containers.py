"""Create and start containers from a ContainerSpec. Never pulls; never leaves a half-made container."""

from __future__ import annotations

import contextlib
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container

from dockerctl.apply.client import engine_call
from dockerctl.apply.labels import owned
from dockerctl.errors import NotFound
from dockerctl.spec.models import ContainerSpec


def ensure_image_local(client: docker.DockerClient, image: str) -> None:
    """dockerctl never pulls: an image must already be on the engine."""
    try:
        engine_call(client.images.get, image, what=f"look up image {image}")
    except NotFound:
        raise NotFound(
            f"image {image!r} is not present on this engine, and dockerctl never pulls",
            where="IMAGE",
            hint="build it locally (`dockerctl image build-base` makes dockerctl/base:latest) or `docker load` it",
        ) from None


def create_and_start(
    client: docker.DockerClient, spec: ContainerSpec, extra: dict[str, Any] | None = None
) -> Container:
    """Create and start `spec`; `extra` adds docker-py create arguments the spec does not model yet
    (e.g. volumes for a proof)."""
    ensure_image_local(client, spec.image)
    container: Container = engine_call(
        client.containers.create,
        spec.image,
        command=spec.command or None,
        name=spec.name,
        labels=owned(spec.lab, spec.limits.asked()),
        detach=True,
        **spec.limits.host_config(),
        **(extra or {}),
        what=f"create container {spec.name or ''}".rstrip(),
    )
    try:
        engine_call(container.start, what=f"start container {container.name}")
        engine_call(container.reload, what=f"inspect container {container.name}")
    except BaseException:
        # no orphans: a container that could not be started is removed again (it carries our labels)
        with contextlib.suppress(docker.errors.DockerException):
            container.remove(force=True)
        raise
    return container


def get(client: docker.DockerClient, ref: str) -> Container:
    container: Container = engine_call(client.containers.get, ref, what=f"find container {ref}")
    return container


def update_resources(client: docker.DockerClient, container: Container, body: dict[str, Any]) -> None:
    """POST /containers/{id}/update with a raw Resources body.

    docker-py's update_container cannot set NanoCpus (--cpus), PidsLimit or device throttles; the
    engine's endpoint can, so the body goes to it directly (same transport, same retry policy).
    """
    api = client.api
    url = f"{api.base_url}/v{api.api_version}/containers/{container.id}/update"

    def _post() -> None:
        response = api.post(url, json=body)
        try:
            response.raise_for_status()
        except requests.exceptions.HTTPError as exc:
            raise docker.errors.create_api_error_from_http_exception(exc) from exc

    engine_call(_post, what=f"update container {container.name}")
