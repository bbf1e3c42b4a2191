"""The one cleanup routine: removes only resources that carry dockerctl's labels.

A user's own containers, networks and volumes are never touched: the engine-side label filter picks
candidates and each one's labels are checked again before it is removed. Volumes (and the anonymous
volumes of removed containers) go only when asked for: volume data is never deleted by default.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker

from dockerctl.engines import asked_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.labels import is_owned, owned_filter
from dockerctl.errors import DockerctlError, NotFound
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
    held: list[str] = field(default_factory=list)  # records the lab still holds after `down` (each file)

    @property
    def count(self) -> int:
        return len(self.containers) + len(self.networks) + len(self.volumes) + len(self.services)

    def add(self, other: Removed) -> None:
        for kind in ("containers", "networks", "volumes", "services"):
            getattr(self, kind).extend(getattr(other, kind))


TASK_RELEASE_WAIT = 20.0  # seconds an overlay network may stay "in use by task" after its containers went
REMOVE_PARALLEL = 8  # removals at once: the engine does them concurrently; one at a time is ~7x slower


def _remove_owned_of(
    kind: str, items: Iterable[Any], lab: str | None, remove: Callable[[Any], None], into: list[str]
) -> None:
    """Remove each owned item (several at once); `into` gets their names in the order listed. The first
    failure is raised once the others have been tried: nothing owned is left for want of trying."""
    mine: list[tuple[str, Any]] = []
    for item in items:
        labels = (
            item.attrs.get("Labels")
            or item.attrs.get("Config", {}).get("Labels")
            or (item.attrs.get("Spec") or {}).get("Labels")
        )
        if is_owned(labels, lab):
            mine.append((item.name or (item.attrs.get("Names") or [item.id])[0].lstrip("/"), item))

    def one(pair: tuple[str, Any]) -> None:
        name, item = pair
        deadline = time.monotonic() + TASK_RELEASE_WAIT
        while True:
            try:
                with contextlib.suppress(NotFound):  # already gone: the goal is reached
                    engine_call(remove, item, what=f"remove {kind} {name}")
                return
            except DockerctlError as exc:
                # an overlay network is released by the swarm a moment after its last container went
                # (its attachment task ends asynchronously): wait for that, and only for that
                if "is in use by task" not in exc.message or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    with ThreadPoolExecutor(max_workers=max(1, min(REMOVE_PARALLEL, len(mine)))) as pool:
        failures = [f.exception() for f in [pool.submit(one, pair) for pair in mine]]
    into.extend(name for (name, _), failed in zip(mine, failures, strict=True) if failed is None)
    first = next((e for e in failures if e is not None), None)
    if first is not None:
        raise first


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
