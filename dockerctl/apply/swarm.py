"""Swarm mode for the local engine (seed X3): overlay networks keep their state in swarm's Raft store."""

from __future__ import annotations

import ipaddress

import docker

from dockerctl.engines import gwbridge
from dockerctl.engines.client import engine_call
from dockerctl.errors import Conflict, InvalidInput


def swarm_state(client: docker.DockerClient) -> str:
    return str(
        (engine_call(client.info, what="read the engine info").get("Swarm") or {}).get("LocalNodeState", "")
    )


def swarm_init(client: docker.DockerClient, advertise_addr: str) -> str:
    if swarm_state(client) == "active":
        return "active already"
    try:
        ipaddress.ip_address(
            advertise_addr.rsplit(":", 1)[0] if advertise_addr.count(":") == 1 else advertise_addr
        )
    except ValueError:
        raise InvalidInput(
            f"{advertise_addr!r} is not an address: give an IP of this host, e.g. 127.0.0.1",
            where="--advertise-addr",
        ) from None
    host = advertise_addr.rsplit(":", 1)[0] if advertise_addr.count(":") == 1 else advertise_addr
    engine_call(
        client.swarm.init,
        advertise_addr=advertise_addr,
        listen_addr=f"{host}:2377",  # only where it advertises (docker's default is every interface)
        what="initialise swarm mode",
    )
    return "initialised"


def swarm_leave(client: docker.DockerClient, *, force: bool = False) -> str:
    if swarm_state(client) != "active":
        return "not in a swarm"
    info = engine_call(client.info, what="read the engine info")
    joined = gwbridge.node_created(client, str((info.get("Swarm") or {}).get("NodeID", "")))
    ours = gwbridge.made_since(client, joined)  # before leaving: afterwards no node says when it joined
    try:
        engine_call(client.swarm.leave, force=force, what="leave the swarm")
    except Conflict as exc:
        raise Conflict(
            f"{exc.message}", hint="a manager of a single-node swarm leaves with --force"
        ) from None
    if ours:
        gwbridge.remove_if_unused(client)
    return "left"
