"""Containers inspected: one by name or id (`get`), or many at once — docker-py's `containers.list()`
inspects each one in turn, which with a hundred containers was most of a scrape or an audit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import docker
from docker.models.containers import Container

from dockerctl.engines.client import engine_call
from dockerctl.errors import NotFound

WORKERS = 8


def list_inspected(
    client: docker.DockerClient, *, all: bool = False, filters: dict[str, object] | None = None
) -> list[Container]:
    """The containers `containers.list(all=…, filters=…)` gives, inspected `WORKERS` at a time, in the
    engine's order; one removed between the listing and its inspection is left out."""
    listed = engine_call(client.api.containers, all=all, filters=filters or {}, what="list the containers")

    def one(cid: str) -> Container | None:
        try:
            return engine_call(client.containers.get, cid, what=f"inspect container {cid[:12]}")
        except NotFound:
            return None

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return [c for c in pool.map(one, [str(x["Id"]) for x in listed]) if c is not None]


def get(client: docker.DockerClient, ref: str, *, where: str = "CONTAINER") -> Container:
    """The container `ref` names (name or id), or NotFound blaming `where` (the command's argument)."""
    try:
        container: Container = engine_call(client.containers.get, ref, what=f"find container {ref}")
    except NotFound:
        raise NotFound(
            f"container {ref!r} does not exist on this engine",
            where=where,
            hint="give a name or id that `docker ps -a` lists",
        ) from None
    return container
