"""Create and start containers from a ContainerSpec. Never pulls; never leaves a half-made container."""

from __future__ import annotations

import contextlib
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.types import Mount

from dockerctl.engines.client import engine_call
from dockerctl.engines.inspect import get as get  # one container by name or id; it lives with the readers
from dockerctl.engines.labels import owned
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


def _mount_args(client: docker.DockerClient, spec: ContainerSpec, created: list[Any]) -> dict[str, Any]:
    """docker-py arguments for spec.mounts. `-v` binds and named volumes go to Binds (so a missing host
    directory is created, as docker does); --mount binds and anonymous volumes go to Mounts (a missing
    source is refused; the anonymous volume gets dockerctl's labels). A named volume that does not exist
    yet is created here, labelled, and recorded in `created` for rollback."""
    binds: list[str] = []
    mounts: list[Mount] = []
    for m in spec.mounts:
        mode = "ro" if m.read_only else "rw"
        if m.kind == "volume" and m.source:
            try:
                client.volumes.get(m.source)
            except docker.errors.NotFound:
                vol = engine_call(
                    client.volumes.create,
                    name=m.source,
                    labels=owned(spec.lab),
                    what=f"create volume {m.source}",
                )
                created.append(vol)
        if m.kind == "anonymous":
            mounts.append(Mount(m.target, None, type="volume", read_only=m.read_only, labels=owned(spec.lab)))
        elif m.origin == "--mount":
            mounts.append(Mount(m.target, m.source, type=m.kind, read_only=m.read_only))
        else:
            binds.append(f"{m.source}:{m.target}:{mode}")
    out: dict[str, Any] = {}
    if binds:
        out["volumes"] = binds
    if mounts:
        out["mounts"] = mounts
    if spec.volumes_from:
        out["volumes_from"] = list(spec.volumes_from)
    return out


def _network_args(client: docker.DockerClient, spec: ContainerSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    mode = spec.network
    if mode in ("host", "none") or (mode or "").startswith("container:"):
        out["network_mode"] = mode
    elif mode:
        out["network"] = mode
        if spec.ip:
            out["networking_config"] = {mode: client.api.create_endpoint_config(ipv4_address=spec.ip)}
    if spec.hostname:
        out["hostname"] = spec.hostname
    if spec.publish:
        out["ports"] = {
            f"{p.container_port}/{p.protocol}": (p.host_ip, p.host_port) if p.host_ip else p.host_port
            for p in spec.publish
        }
    return out


def create_and_start(
    client: docker.DockerClient,
    spec: ContainerSpec,
    extra: dict[str, Any] | None = None,
    *,
    start: bool = True,
    check_image: bool = True,
) -> Container:
    """Create (and start) `spec`; `extra` adds docker-py create arguments the spec does not model.
    Whatever this call made is removed again if a later step fails: no orphans."""
    if check_image:
        ensure_image_local(client, spec.image)
    created: list[Any] = []
    cid: str | None = None
    try:
        args = {**_mount_args(client, spec, created), **_network_args(client, spec), **(extra or {})}
        # docker-py's containers.create inspects the new container before it is started; the one inspect
        # after the start is all the caller needs, so the low-level create is called with the same
        # arguments docker-py would send (three engine calls per container instead of four)
        cid = engine_call(
            client.api.create_container,
            **_create_args(
                client,
                image=spec.image,
                command=spec.command or None,
                name=spec.name,
                labels={**spec.labels, **owned(spec.lab, spec.limits.asked())},
                detach=True,
                **spec.limits.host_config(),
                **args,
            ),
            what=f"create container {spec.name or ''}".rstrip(),
        )["Id"]
        if start:
            engine_call(client.api.start, cid, what=f"start container {spec.name or cid[:12]}")
        container: Container = engine_call(
            client.containers.get, cid, what=f"inspect container {spec.name or cid[:12]}"
        )
    except BaseException:
        with contextlib.suppress(docker.errors.DockerException):
            if cid is not None:  # with its anonymous volumes: they are this call's too
                client.api.remove_container(cid, force=True, v=True)
            for vol in created:
                vol.remove()
        raise
    return container


def _create_args(client: docker.DockerClient, **kwargs: Any) -> dict[str, Any]:
    """What docker-py's `containers.create(**kwargs)` sends to the low-level create: the run-style
    arguments split into the container config and its host config."""
    from docker.models.containers import _create_container_args

    return dict(_create_container_args({**kwargs, "version": client.api._version}))


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
