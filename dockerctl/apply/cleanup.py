"""The one cleanup routine: removes only resources that carry dockerctl's labels.

A user's own containers, networks and volumes are never touched: the engine-side label filter picks
candidates and each one's labels are checked again before it is removed. Volumes (and the anonymous
volumes of removed containers) go only when asked for: volume data is never deleted by default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import docker

from dockerctl.engines import asked_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.labels import is_owned, owned_filter
from dockerctl.errors import NotFound
from dockerctl.spec.names import check_lab_name


@dataclass
class Removed:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    kept_pool: list[str] = field(default_factory=list)  # storage-pool volumes whose data stays
    hosts: list[str] = field(default_factory=list)  # lab hosts stopped and removed (simulated, vm)
    purged: list[str] = field(default_factory=list)  # cached VM images removed (down --purge)

    @property
    def count(self) -> int:
        return len(self.containers) + len(self.networks) + len(self.volumes) + len(self.services)

    def add(self, other: Removed) -> None:
        for kind in ("containers", "networks", "volumes", "services"):
            getattr(self, kind).extend(getattr(other, kind))


def _remove_owned_of(
    kind: str, items: Iterable[Any], lab: str | None, remove: Callable[[Any], None], into: list[str]
) -> None:
    for item in items:
        labels = (
            item.attrs.get("Labels")
            or item.attrs.get("Config", {}).get("Labels")
            or (item.attrs.get("Spec") or {}).get("Labels")
        )
        if not is_owned(labels, lab):
            continue
        name = item.name or (item.attrs.get("Names") or [item.id])[0].lstrip("/")
        with contextlib.suppress(NotFound):  # already gone: the goal is reached
            engine_call(remove, item, what=f"remove {kind} {name}")
        into.append(name)


def remove_owned(
    client: docker.DockerClient,
    *,
    lab: str | None = None,
    volumes: bool = False,
    networks: bool = True,
    spare_driver: str | None = None,
) -> Removed:
    """Remove dockerctl's resources (one lab's, when `lab` is given; volumes only with `volumes`).
    `networks=False`: services and containers only (first pass across hosts: an overlay goes only once
    no host has a container on it). `spare_driver`: volumes of that driver stay (a storage pool's data,
    removed only when asked for explicitly)."""
    if lab is not None:
        check_lab_name(lab)  # an empty name would select every lab's resources
    removed = Removed()
    filters = owned_filter(lab)
    info = engine_call(client.info, what="read the engine info")
    if (info.get("Swarm") or {}).get("ControlAvailable"):  # a manager: services first (their tasks go too)
        services = engine_call(client.services.list, filters=filters, what="list services")
        _remove_owned_of("service", services, lab, lambda s: s.remove(), removed.services)
    # sparse: one list call, no inspect per container
    containers = engine_call(
        client.containers.list, all=True, sparse=True, filters=filters, what="list containers"
    )

    # force: no waiting out stop timeouts of containers that are about to go anyway
    def _remove_container(c: Any) -> None:
        c.remove(force=True, v=volumes)
        asked_records.forget(c.id)

    _remove_owned_of("container", containers, lab, _remove_container, removed.containers)
    if not networks:
        return removed
    found_networks = engine_call(client.networks.list, filters=filters, what="list networks")
    _remove_owned_of("network", found_networks, lab, lambda n: n.remove(), removed.networks)
    if volumes:
        found = engine_call(client.volumes.list, filters=filters, what="list volumes")
        found = [v for v in found if spare_driver is None or v.attrs.get("Driver") != spare_driver]
        _remove_owned_of("volume", found, lab, lambda v: v.remove(), removed.volumes)
    return removed
