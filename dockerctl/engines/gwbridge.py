"""docker_gwbridge, the bridge swarm mode makes for overlay containers' way out (seed X4): removed when
the swarm that made it is left (by `dockerctl swarm leave` or a lab), kept when it was there before."""

from __future__ import annotations

import docker

from dockerctl.engines.client import engine_call
from dockerctl.errors import DockerctlError

GWBRIDGE = "docker_gwbridge"


def node_created(manager: docker.DockerClient, node_id: str) -> str:
    """When a node joined its swarm (RFC 3339), asked of a manager (a worker cannot say); '' if unknown."""
    try:
        node = engine_call(manager.nodes.get, node_id, what="find a swarm node")
    except DockerctlError:
        return ""
    return str(node.attrs.get("CreatedAt", ""))


def made_since(client: docker.DockerClient, joined_at: str) -> bool:
    """docker_gwbridge was created after `joined_at` (by that swarm, not before it), by the engine's own
    timestamps, compared to the second; False when that cannot be told."""
    try:
        nets = engine_call(client.networks.list, names=[GWBRIDGE], what=f"find {GWBRIDGE}")
    except DockerctlError:
        return False
    gw = next((n for n in nets if n.name == GWBRIDGE), None)
    made = str(gw.attrs.get("Created", "")) if gw is not None else ""
    return bool(made and joined_at) and made[:19] >= joined_at[:19]


def remove_if_unused(client: docker.DockerClient) -> bool:
    """Remove docker_gwbridge when no container is attached to it; → whether it was removed. Leaving it
    is never worth failing the caller for."""
    try:
        gw = engine_call(client.networks.get, GWBRIDGE, what=f"find {GWBRIDGE}")
        if gw.attrs.get("Containers"):
            return False
        engine_call(gw.remove, what=f"remove {GWBRIDGE}")
    except DockerctlError:
        return False
    return True
