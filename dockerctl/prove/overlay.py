"""Expectations of overlay networks across hosts (seed X4–X6): each container's interfaces on the overlay
and on docker_gwbridge, the vxlan devices and VNI in every host's overlay namespace, the subnets the
manager hands out, and traffic that goes straight between hosts. Handlers of prove/expectations.py's
registry."""

from __future__ import annotations

import ipaddress
from typing import Any

from dockerctl.checks import traffic
from dockerctl.engines.client import engine_call
from dockerctl.observe.iproute import ip_json, parse_links
from dockerctl.observe.overlay import OverlayNamespace, exec_roots_of, link_kind, namespace_path, read_overlay
from dockerctl.prove.registry import Context, _v, handles
from dockerctl.verify.checks import Check, Verdict


def _network_attrs(ctx: Context, network: str) -> dict[str, Any]:
    """The overlay network as the swarm manager sees it (id, IPAM)."""
    client = ctx.engines[ctx.playbook.manager].client
    found = engine_call(client.networks.get, f"{ctx.playbook.name}-{network}", what=f"find network {network}")
    return dict(found.attrs)


def _subnet(attrs: dict[str, Any]) -> str:
    return next((c["Subnet"] for c in (attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")), "")


def _in(ip: str, subnet: str) -> bool:
    return bool(subnet) and ipaddress.ip_address(ip) in ipaddress.ip_network(subnet, strict=False)


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
        ok = any(_in(a, subnet) for a in addrs)
        checks.append(
            Check(
                f"{c.name} {dev}",
                "X4",
                f"on {what} ({subnet})",
                ", ".join(addrs) or "no such interface",
                _v(ok),
                f"ip -json addr in the net namespace of pid {pid} on {engine.host.name}",
            )
        )
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
            checks.append(
                Check(
                    f"overlay namespace on {host}", "X5", "br0 + vxlan0", "missing", Verdict.MISMATCH, str(ns)
                )
            )
            continue
        vx = next((v for v in ns.vxlans if v.name.startswith("vxlan")), None)
        vx0 = next((v for v in ns0.vxlans if v.name.startswith("vxlan")), None)
        where = f"{ns.path} on {host}"
        checks.append(
            Check(
                f"overlay namespace on {host}",
                "X5",
                "br0 and vxlan0 (its port)",
                f"bridges {ns.bridges}, vxlan {[(v.name, v.vni, v.master) for v in ns.vxlans]}",
                _v("br0" in ns.bridges and vx is not None and vx.master == "br0"),
                f"ip -d link in {where}",
            )
        )
        want = addresses.get(peer, "")
        checks.append(
            Check(
                f"vxlan FDB on {host}",
                "X5",
                f"points at {peer}'s lab address {want}",
                ", ".join(ns.fdb_remotes) or "no remote entries",
                _v(bool(want) and want in ns.fdb_remotes),
                f"bridge fdb show dev vxlan0 in {where}",
            )
        )
        grew = (
            vx is not None
            and vx0 is not None
            and vx.tx_packets > vx0.tx_packets
            and vx.rx_packets > vx0.rx_packets
        )
        checks.append(
            Check(
                f"vxlan counters on {host}",
                "X5",
                "tx and rx grow with the traffic",
                f"tx {vx0.tx_packets if vx0 else '?'}→{vx.tx_packets if vx else '?'}, "
                f"rx {vx0.rx_packets if vx0 else '?'}→{vx.rx_packets if vx else '?'}",
                _v(grew),
                f"ip -s link of vxlan0 in {where}, around 5 pings {body.source} → {body.to}",
            )
        )
    return checks


@handles("overlay_subnets")
def _overlay_subnets(body: Any, ctx: Context) -> list[Check]:
    subnets = [_subnet(_network_attrs(ctx, n)) for n in body.networks]
    thirds = []
    for s in subnets:
        net = ipaddress.ip_network(s) if s else None
        ok = net is not None and net.prefixlen == 24 and str(net).startswith("10.0.")
        thirds.append(int(str(net.network_address).split(".")[2]) if ok and net else -1)
    in_order = all(t >= 0 for t in thirds) and thirds == sorted(thirds) and len(set(thirds)) == len(thirds)
    return [
        Check(
            f"default subnets of {', '.join(body.networks)}",
            "X6",
            "10.0.X.0/24, X rising in the order they were made",
            ", ".join(subnets),
            _v(in_order),
            "IPAM.Config of each network on the swarm manager",
        )
    ]


@handles("direct")
def _direct(body: Any, ctx: Context) -> list[Check]:
    a, b = ctx[body.source], ctx[body.to]
    host = ctx.engine_of(body.source).host
    pid = int((a.attrs.get("State") or {}).get("Pid") or 0)
    kind = link_kind(host, pid, "eth0")
    found = traffic.reach(a, b, by="ip")
    ttl = traffic.reply_ttl(found)
    return [
        Check(f"{a.name} eth0", "X7", "a macvlan device (no veth, no bridge)", kind or "?", _v(kind == "macvlan"),
              f"ip -d link show eth0 in pid {pid}'s namespace on {host.name}"),
        found.check(True, "X8", f"{body.source} → {body.to} directly"),
        Check(f"TTL of {body.to}'s reply", "X8", "64: not decremented (no router between)", str(ttl), _v(ttl == 64),
              f"ping output inside {a.name}"),
    ]  # fmt: skip
