"""Volumes (seed S3, S5, S9): create with labels, list with who uses them, remove only what may go.

A volume in use is never removed. A volume dockerctl did not create is removed only when the caller
says so (any_owner). Listing costs one volumes call and one (sparse) containers call, whatever the count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import docker
import docker.errors

from dockerctl.engines import asked_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.labels import LAB, is_owned, owned, refuse_used, require_owned
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.spec.gluster import GLUSTER_DRIVER
from dockerctl.spec.mounts import VOLUME_NAME
from dockerctl.spec.storage import volume_size_gb


@dataclass
class VolumeInfo:
    name: str
    driver: str
    mountpoint: str
    owned: bool
    lab: str
    used_by: list[str] = field(default_factory=list)

    @property
    def dangling(self) -> bool:
        return not self.used_by

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "dangling": self.dangling}


def _users(client: docker.DockerClient) -> dict[str, list[str]]:
    """volume name → names of containers (running or not) that mount it: one sparse list call."""
    users: dict[str, list[str]] = {}
    for c in engine_call(client.containers.list, all=True, sparse=True, what="list containers"):
        name = (c.attrs.get("Names") or [c.id])[0].lstrip("/")
        for m in c.attrs.get("Mounts") or []:
            if m.get("Type") == "volume" and m.get("Name"):
                users.setdefault(m["Name"], []).append(name)
    return users


def list_volumes(client: docker.DockerClient, *, all_owners: bool = False) -> list[VolumeInfo]:
    users = _users(client)
    out = []
    for v in engine_call(client.volumes.list, what="list volumes"):
        labels = v.attrs.get("Labels") or {}
        mine = is_owned(labels)
        if mine or all_owners:
            out.append(
                VolumeInfo(
                    v.name,
                    v.attrs.get("Driver", ""),
                    v.attrs.get("Mountpoint", ""),
                    mine,
                    labels.get(LAB, ""),
                    sorted(users.get(v.name, [])),
                )
            )
    return sorted(out, key=lambda i: i.name)


def inspect_volume(client: docker.DockerClient, name: str) -> dict[str, Any]:
    try:
        vol = engine_call(client.volumes.get, name, what=f"find volume {name}")
    except NotFound:
        raise NotFound(
            f"volume {name!r} does not exist", where="NAME", hint="`dockerctl vol ls` lists them"
        ) from None
    return {**vol.attrs, "UsedBy": sorted(_users(client).get(name, []))}


def create_volume(
    client: docker.DockerClient,
    name: str,
    *,
    driver: str = "local",
    options: dict[str, str] | None = None,
    lab: str | None = None,
    labels: dict[str, str] | None = None,
) -> tuple[Any, bool]:
    """(volume, created). Re-creating one of dockerctl's volumes is a no-op; a user's is refused."""
    if not VOLUME_NAME.match(name):
        raise InvalidInput(f"invalid volume name {name!r}: use [a-zA-Z0-9][a-zA-Z0-9_.-]+", where="NAME")
    if driver == GLUSTER_DRIVER:  # the driver's own checks, before the engine is asked
        volume_size_gb(options, where="--opt")
        if "." in name:
            raise InvalidInput(
                f"invalid volume name {name!r} for {GLUSTER_DRIVER}: GlusterFS takes no '.' (use '-' or '_')",
                where="NAME",
            )
    try:
        existing = client.volumes.get(name)
    except docker.errors.NotFound:
        existing = None
    if existing is not None:
        if is_owned(existing.attrs.get("Labels")):
            return existing, False
        if driver == GLUSTER_DRIVER and existing.attrs.get("Driver") == driver:
            # a storage pool's volume, made through another host's engine: the same volume (scope
            # global), which this engine finds through the driver and keeps no labels for
            return existing, False
        raise Conflict(f"volume {name!r} already exists and was not made by dockerctl", where="NAME")
    vol = engine_call(
        client.volumes.create,
        name=name,
        driver=driver,
        driver_opts=options or {},
        labels={**(labels or {}), **owned(lab)},  # the caller's (a playbook's entry record) and ownership
        what=f"create volume {name}",
    )
    return vol, True


def remove_volume(client: docker.DockerClient, name: str, *, any_owner: bool = False) -> None:
    try:
        vol = client.volumes.get(name)
    except docker.errors.NotFound:
        raise NotFound(f"volume {name!r} does not exist", where="NAME") from None
    require_owned("volume", name, vol.attrs.get("Labels"), any_owner=any_owner, where="NAME")
    users = sorted(_users(client).get(name, []))
    busy = f"volume {name!r} is in use by {{users}}; its data stays"
    refuse_used(users, busy, where="NAME", hint="remove those containers first (dockerctl rm)")
    engine_call(vol.remove, what=f"remove volume {name}")


def prune_volumes(client: docker.DockerClient, *, all_owners: bool = False) -> list[str]:
    """Remove dangling volumes: dockerctl's only, or every owner's with all_owners."""
    removed = []
    for info in list_volumes(client, all_owners=all_owners):
        if info.dangling and (info.owned or all_owners):
            try:
                engine_call(client.volumes.get(info.name).remove, what=f"remove volume {info.name}")
            except (NotFound, Conflict):
                continue  # gone meanwhile, or taken into use meanwhile: keep it
            removed.append(info.name)
    return removed


def remove_container(
    client: docker.DockerClient,
    ref: str,
    *,
    volumes: bool = False,
    force: bool = False,
    any_owner: bool = False,
) -> str:
    """`docker rm [-v] [-f]`: -v removes the container's anonymous volumes; named volumes always stay (S9)."""
    from dockerctl.apply.containers import get

    container = get(client, ref)
    require_owned("container", str(container.name), container.labels, any_owner=any_owner, where="CONTAINER")
    if container.status == "running" and not force:
        raise Conflict(f"container {container.name} is running", hint="stop it first, or pass -f")
    engine_call(container.remove, v=volumes, force=force, what=f"remove container {container.name}")
    asked_records.forget(container.id)
    return str(container.name)
