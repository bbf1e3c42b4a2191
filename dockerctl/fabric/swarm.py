"""Swarm mode across a lab's hosts (seed X3): init on the manager with its lab-switch address, join the
others as workers advertising theirs, label each node with its lab host name; leave on the way down."""

from __future__ import annotations

from dockerctl.engines import gwbridge
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import NODE_LABEL


def state(engine: Engine) -> str:
    info = engine_call(engine.client.info, what=f"read the engine info of {engine.name}")
    return str((info.get("Swarm") or {}).get("LocalNodeState", "inactive"))


def node_id(engine: Engine) -> str:
    info = engine_call(engine.client.info, what=f"read the engine info of {engine.name}")
    return str((info.get("Swarm") or {}).get("NodeID", ""))


def swarm_up(engines: dict[str, Engine], order: list[str], addresses: dict[str, str]) -> list[str]:
    """→ the hosts that joined swarm mode now (the lab leaves it with them)."""
    joined: list[str] = []
    manager = engines[order[0]]
    addr = addresses.get(order[0])
    if state(manager) != "active":
        engine_call(
            manager.client.swarm.init,
            advertise_addr=addr or "127.0.0.1",
            listen_addr=f"{addr}:2377" if addr else "127.0.0.1:2377",  # lab addresses or loopback only
            what=f"init swarm mode on {order[0]}",
        )
        joined.append(order[0])
    engine_call(manager.client.swarm.reload, what="read the swarm")
    token = manager.client.swarm.attrs["JoinTokens"]["Worker"]
    for name in order[1:]:
        worker = engines[name]
        if state(worker) == "active":
            continue
        own = addresses.get(name)
        engine_call(
            worker.client.swarm.join,
            remote_addrs=[f"{addr}:2377"],
            join_token=token,
            advertise_addr=own,
            listen_addr=f"{own}:2377" if own else "127.0.0.1:2377",
            what=f"join {name} to the swarm of {order[0]}",
        )
        joined.append(name)
    for name in order:
        node = engine_call(manager.client.nodes.get, node_id(engines[name]), what=f"find the node of {name}")
        spec = dict(node.attrs["Spec"])
        if (spec.get("Labels") or {}).get(NODE_LABEL) != name:
            spec["Labels"] = {**(spec.get("Labels") or {}), NODE_LABEL: name}
            engine_call(node.update, spec, what=f"label the node of {name}")
    return joined


def swarm_down(engines: dict[str, Engine], order: list[str], joined: list[str]) -> None:
    """Workers leave first, the manager last; only hosts the lab joined. A docker_gwbridge that the
    lab's swarm made is removed once nothing is attached to it (one that was there before stays)."""
    manager = engines.get(order[0]) if order else None
    since: dict[str, str] = {}
    if manager is not None and state(manager) == "active":  # only a manager knows when each node joined
        since = {
            n: gwbridge.node_created(manager.client, node_id(engines[n])) for n in joined if n in engines
        }
    for name in [*(n for n in order[1:] if n in joined), *(n for n in order[:1] if n in joined)]:
        engine = engines[name]
        if state(engine) != "active":
            continue
        ours = gwbridge.made_since(engine.client, since.get(name, ""))
        engine_call(engine.client.swarm.leave, force=True, what=f"leave swarm mode on {name}")
        if ours:
            gwbridge.remove_if_unused(engine.client)
