"""The one cleanup routine: removes only resources that carry dockerctl's labels.

A user's own containers, networks and volumes are never touched: the engine-side label filter picks
candidates and each one's labels are checked again before it is removed. Volumes (and the anonymous
volumes of removed containers) go only when asked for: volume data is never deleted by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import docker

from dockerctl.apply.client import engine_call
from dockerctl.apply.labels import is_owned, owned_filter
from dockerctl.errors import NotFound


@dataclass
class Removed:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.containers) + len(self.networks) + len(self.volumes)


def remove_owned(client: docker.DockerClient, *, lab: str | None = None, volumes: bool = False) -> Removed:
    removed = Removed()
    filters = owned_filter(lab)
    for c in engine_call(client.containers.list, all=True, filters=filters, what="list containers"):
        if not is_owned(c.labels, lab):
            continue
        try:
            engine_call(c.remove, force=True, v=volumes, what=f"remove container {c.name}")
        except NotFound:
            pass  # already gone: the goal is reached
        removed.containers.append(c.name)
    for n in engine_call(client.networks.list, filters=filters, what="list networks"):
        if not is_owned(n.attrs.get("Labels"), lab):
            continue
        try:
            engine_call(n.remove, what=f"remove network {n.name}")
        except NotFound:
            pass
        removed.networks.append(n.name)
    if volumes:
        for v in engine_call(client.volumes.list, filters=filters, what="list volumes"):
            if not is_owned(v.attrs.get("Labels"), lab):
                continue
            try:
                engine_call(v.remove, what=f"remove volume {v.name}")
            except NotFound:
                pass
            removed.volumes.append(v.name)
    return removed
