"""Expectations of overlay networks across hosts (seed X4–X6): each container's interfaces on the overlay
and on docker_gwbridge, the vxlan devices and VNI in every host's overlay namespace, the subnets the
manager hands out, and traffic that goes straight between hosts. Handlers of prove/expectations.py's
registry."""

from __future__ import annotations

from typing import Any

from dockerctl.checks import traffic
from dockerctl.engines.client import engine_call
from dockerctl.observe.iproute import ip_json, parse_links
from dockerctl.observe.overlay import OverlayNamespace, exec_roots_of, link_kind, namespace_path, read_overlay
from dockerctl.prove.registry import Context, handles
from dockerctl.verify import overlay as overlay_judge
from dockerctl.verify.verdict import Check


def _network_attrs(ctx: Context, network: str) -> dict[str, Any]:
    """The overlay network as the swarm manager sees it (id, IPAM)."""
    client = ctx.engines[ctx.playbook.manager].client
    found = engine_call(client.networks.get, f"{ctx.playbook.name}-{network}", what=f"find network {network}")
    return dict(found.attrs)


def _subnet(attrs: dict[str, Any]) -> str:
    return next((c["Subnet"] for c in (attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")), "")


@handles("interfaces")
def _interfaces(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    engine = ctx.engine_of(body.container)
    overlay = _subnet(_network_attrs(ctx, body.network))
    gw = engine_call(engine.client.networks.get, "docker_gwbridge", what="find docker_gwbridge")
    gw_subnet = _subnet(gw.attrs)
    pid = int((c.attrs.get("State") or {}).get("Pid") or 0)
    links = {link.name: link for link in parse_links(ip_json(engine.host, ["addr"], pid))}
    checks = []
    for dev, subnet, what in (
        ("eth0", overlay, f"overlay {body.network}"),
        ("eth1", gw_subnet, "docker_gwbridge"),
    ):
        addrs = [a.local for a in links[dev].addresses if a.family == "inet"] if dev in links else []
        evidence = f"ip -json addr in the net namespace of pid {pid} on {engine.host.name}"
        checks.append(overlay_judge.on_subnet(c.name, dev, what, subnet, addrs, evidence))
    return checks


@handles("vxlan")
def _vxlan(body: Any, ctx: Context) -> list[Check]:
    pb = ctx.playbook
    net_id = str(_network_attrs(ctx, body.network)["Id"])
    ends = {body.source: ctx.engine_of(body.source), body.to: ctx.engine_of(body.to)}
    hosts = {name: pb.host_of(pb.containers[name]) for name in ends}
    addresses = pb.lab_addresses()

    def read_all() -> dict[str, OverlayNamespace | str]:
        out: dict[str, OverlayNamespace | str] = {}
        for name, engine in ends.items():
            path = namespace_path(engine.host, net_id, exec_roots_of(hosts[name]))
            out[name] = (
                read_overlay(engine.host, path)
                if path
                else f"no namespace 1-{net_id[:10]} under {', '.join(exec_roots_of(hosts[name]))}"
            )
        return out

    before = read_all()
    traffic.reach(ctx[body.source], ctx[body.to], by="ip", count=5)
    after = read_all()
    checks = []
    for name, other in ((body.source, body.to), (body.to, body.source)):
        host, peer = hosts[name], hosts[other]
        ns, ns0 = after[name], before[name]
        if isinstance(ns, str) or isinstance(ns0, str):
            checks.append(overlay_judge.no_namespace(host, str(ns)))
            continue
        around = f"5 pings {body.source} → {body.to}"
        checks += overlay_judge.namespace_carries(host, peer, addresses.get(peer, ""), ns0, ns, around)
    return checks


@handles("overlay_subnets")
def _overlay_subnets(body: Any, ctx: Context) -> list[Check]:
    subnets = [_subnet(_network_attrs(ctx, n)) for n in body.networks]
    return [overlay_judge.default_subnets(list(body.networks), subnets)]


@handles("direct")
def _direct(body: Any, ctx: Context) -> list[Check]:
    a, b = ctx[body.source], ctx[body.to]
    host = ctx.engine_of(body.source).host
    pid = int((a.attrs.get("State") or {}).get("Pid") or 0)
    kind = link_kind(host, pid, "eth0")
    found = traffic.reach(a, b, by="ip")
    ttl = traffic.reply_ttl(found)
    return [
        overlay_judge.macvlan(a.name, kind, f"ip -d link show eth0 in pid {pid}'s namespace on {host.name}"),
        found.check(True, "X8", f"{body.source} → {body.to} directly"),
        overlay_judge.no_router(body.to, ttl, f"ping output inside {a.name}"),
    ]
