"""Networks (seed N1–N9, X7–X10): create with labels after host and engine checks, connect, disconnect,
remove — each refusing what docker would refuse, but before anything changes."""

from __future__ import annotations

import ipaddress
from typing import Any

import docker
import docker.errors
from docker.models.networks import Network
from docker.types import IPAMConfig, IPAMPool

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import is_owned, owned, refuse_used, require_owned
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.hosts import Host
from dockerctl.spec.netmodels import section_of_driver
from dockerctl.spec.network import NetworkSpec

USER_SUBNET = "io.dockerctl.user-subnet"


def subnets_of(net: Network) -> list[str]:
    return [c["Subnet"] for c in (net.attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")]


def get_network(client: docker.DockerClient, name: str) -> Network:
    try:
        net: Network = client.networks.get(name)
    except docker.errors.NotFound:
        raise NotFound(f"network {name!r} does not exist", where="NETWORK") from None
    return net


def preflight_network(client: docker.DockerClient, host: Host, spec: NetworkSpec) -> None:
    existing = engine_call(client.networks.list, what="list networks")
    if any(n.name == spec.name for n in existing):
        raise Conflict(f"a network named {spec.name!r} exists already", where="NAME")
    if spec.subnet:
        mine = ipaddress.ip_network(spec.subnet)
        for n in existing:
            for s in subnets_of(n):
                if ipaddress.ip_network(s, strict=False).overlaps(mine):
                    raise InvalidInput(f"{spec.subnet} overlaps {s} of network {n.name}", field="subnet")
    if spec.driver == "macvlan":
        parent = spec.options["parent"]
        # asked of the host's own network stack (its /sys may show another namespace's devices)
        if not host.run(["ip", "link", "show", "dev", parent]).ok:
            raise InvalidInput(f"parent interface {parent!r} does not exist on {host.name}", field="options")
        for n in existing:
            if n.attrs.get("Driver") == "macvlan" and (n.attrs.get("Options") or {}).get("parent") == parent:
                raise InvalidInput(
                    f"{parent} already carries macvlan network {n.name}: one macvlan network per interface "
                    "(seed X10); use another parent (a sub-interface or a veth)",
                    field="options",
                )
    if spec.driver == "overlay":
        state = (engine_call(client.info, what="read the engine info").get("Swarm") or {}).get(
            "LocalNodeState"
        )
        if state != "active":
            raise InvalidInput(
                "an overlay network needs swarm mode (seed X3): run `dockerctl swarm init` first",
                field="driver",
            )


def create_network(engine: Engine, spec: NetworkSpec) -> Network:
    client = engine.client
    preflight_network(client, engine.host, spec)
    ipam = None
    if spec.subnet:
        ipam = IPAMConfig(
            pool_configs=[IPAMPool(subnet=spec.subnet, gateway=spec.gateway, iprange=spec.ip_range)]
        )
    if section_of_driver(spec.driver) is not None:  # a model's plugin: network + IPAM (X11–X13)
        ipam = IPAMConfig(driver=spec.driver)
    labels = {**spec.labels, **owned(spec.lab)}
    if spec.subnet:
        labels[USER_SUBNET] = "true"  # the engine's inspect cannot tell a user subnet from an assigned one
    kwargs: dict[str, Any] = {
        "driver": spec.driver,
        "ipam": ipam,
        "internal": spec.internal,
        "labels": labels,
        "options": spec.options or None,
        "check_duplicate": True,
    }
    if spec.driver == "overlay":
        kwargs["attachable"] = spec.attachable
        kwargs["scope"] = "swarm"
    net: Network = engine_call(
        client.networks.create, spec.name, **kwargs, what=f"create network {spec.name}"
    )
    return net


def attached(net: Network) -> list[str]:
    return sorted(c.get("Name", cid) for cid, c in (net.attrs.get("Containers") or {}).items())


def remove_network(client: docker.DockerClient, name: str, *, any_owner: bool = False) -> None:
    net = get_network(client, name)
    require_owned("network", name, net.attrs.get("Labels"), any_owner=any_owner, where="NETWORK")
    busy = f"network {name!r} has containers attached: {{users}}"
    refuse_used(attached(net), busy, where="NETWORK", hint="disconnect or remove them first")
    engine_call(net.remove, what=f"remove network {name}")


def check_static_ip(client: docker.DockerClient, network: str | None, ip: str | None) -> None:
    """Seed N8: a static --ip only on a network created with a user subnet, and inside it."""
    if ip is None:
        return
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        raise InvalidInput(
            f"invalid IP address {ip!r}: give an IPv4 address such as 172.31.5.10", field="ip"
        ) from None
    if network in (None, "bridge", "host", "none") or (network or "").startswith("container:"):
        raise InvalidInput(
            "--ip works only on a user-defined network created with --subnet (seed N8)", field="ip"
        )
    net = get_network(client, network or "")
    labels = net.attrs.get("Labels") or {}
    if is_owned(labels) and labels.get(USER_SUBNET) != "true":
        raise InvalidInput(
            f"network {network} was created without --subnet: a static --ip is refused (seed N8)", field="ip"
        )
    subnets = subnets_of(net)
    if subnets and not any(addr in ipaddress.ip_network(s, strict=False) for s in subnets):
        raise InvalidInput(f"{ip} is outside {', '.join(subnets)} of network {network}", field="ip")


def connect(
    client: docker.DockerClient,
    network: str,
    container: str,
    *,
    ip: str | None = None,
    aliases: list[str] | None = None,
) -> None:
    net = get_network(client, network)
    c = engine_call(client.containers.get, container, what=f"find container {container}")
    if net.name in ((c.attrs.get("NetworkSettings") or {}).get("Networks") or {}):
        raise Conflict(f"{c.name} is already connected to {net.name}", where="CONTAINER")
    check_static_ip(client, net.name, ip)
    engine_call(net.connect, c, ipv4_address=ip, aliases=aliases, what=f"connect {c.name} to {net.name}")


def disconnect(client: docker.DockerClient, network: str, container: str) -> None:
    net = get_network(client, network)
    c = engine_call(client.containers.get, container, what=f"find container {container}")
    if net.name not in ((c.attrs.get("NetworkSettings") or {}).get("Networks") or {}):
        raise Conflict(f"{c.name} is not connected to {net.name}", where="CONTAINER")
    engine_call(net.disconnect, c, what=f"disconnect {c.name} from {net.name}")
