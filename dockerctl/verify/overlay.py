"""Judging overlay and macvlan networks across hosts (seed X4–X8) from what was read: a container's
addresses on the overlay and on docker_gwbridge, each host's overlay namespace (br0, vxlan0, its FDB and
counters, before and after traffic), the subnets the manager handed out, and a macvlan path."""

from __future__ import annotations

import ipaddress

from dockerctl.observe.overlay import OverlayNamespace, VxlanDevice
from dockerctl.verify.verdict import Check, Verdict, held, reply_ttl


def in_subnet(ip: str, subnet: str) -> bool:
    return bool(subnet) and ipaddress.ip_address(ip) in ipaddress.ip_network(subnet, strict=False)


def on_subnet(container: str, dev: str, what: str, subnet: str, addrs: list[str], evidence: str) -> Check:
    """The container's `dev` has an IPv4 address in `subnet` (X4: eth0 on the overlay, eth1 on
    docker_gwbridge)."""
    return Check(
        f"{container} {dev}",
        "X4",
        f"on {what} ({subnet})",
        ", ".join(addrs) or "no such interface",
        held(any(in_subnet(a, subnet) for a in addrs)),
        evidence,
    )


def no_namespace(host: str, why: str) -> Check:
    return Check(f"overlay namespace on {host}", "X5", "br0 + vxlan0", "missing", Verdict.MISMATCH, why)


def _vxlan0(ns: OverlayNamespace) -> VxlanDevice | None:
    return next((v for v in ns.vxlans if v.name.startswith("vxlan")), None)


def namespace_carries(
    host: str, peer: str, peer_address: str, before: OverlayNamespace, after: OverlayNamespace, traffic: str
) -> list[Check]:
    """The host's overlay namespace has br0 with vxlan0 as its port, vxlan0's FDB points at the peer
    host's lab address, and its tx and rx counters grew across `traffic` (X5)."""
    vx, vx0 = _vxlan0(after), _vxlan0(before)
    where = f"{after.path} on {host}"
    grew = (
        vx is not None
        and vx0 is not None
        and vx.tx_packets > vx0.tx_packets
        and vx.rx_packets > vx0.rx_packets
    )
    return [
        Check(f"overlay namespace on {host}", "X5", "br0 and vxlan0 (its port)",
              f"bridges {after.bridges}, vxlan {[(v.name, v.vni, v.master) for v in after.vxlans]}",
              held("br0" in after.bridges and vx is not None and vx.master == "br0"), f"ip -d link in {where}"),
        Check(f"vxlan FDB on {host}", "X5", f"points at {peer}'s lab address {peer_address}",
              ", ".join(after.fdb_remotes) or "no remote entries",
              held(bool(peer_address) and peer_address in after.fdb_remotes),
              f"bridge fdb show dev vxlan0 in {where}"),
        Check(f"vxlan counters on {host}", "X5", "tx and rx grow with the traffic",
              f"tx {vx0.tx_packets if vx0 else '?'}→{vx.tx_packets if vx else '?'}, "
              f"rx {vx0.rx_packets if vx0 else '?'}→{vx.rx_packets if vx else '?'}",
              held(grew), f"ip -s link of vxlan0 in {where}, around {traffic}"),
    ]  # fmt: skip


def default_subnets(networks: list[str], subnets: list[str]) -> Check:
    """Overlays made without a subnet get 10.0.X.0/24, X rising in the order they were made (X6)."""
    thirds = []
    for s in subnets:
        net = ipaddress.ip_network(s) if s else None
        ok = net is not None and net.prefixlen == 24 and str(net).startswith("10.0.")
        thirds.append(int(str(net.network_address).split(".")[2]) if ok and net else -1)
    in_order = all(t >= 0 for t in thirds) and thirds == sorted(thirds) and len(set(thirds)) == len(thirds)
    return Check(
        f"default subnets of {', '.join(networks)}",
        "X6",
        "10.0.X.0/24, X rising in the order they were made",
        ", ".join(subnets),
        held(in_order),
        "IPAM.Config of each network on the swarm manager",
    )


def macvlan(container: str, kind: str | None, evidence: str) -> Check:
    """The container's eth0 is a macvlan device: no veth, no bridge (X7)."""
    return Check(f"{container} eth0", "X7", "a macvlan device (no veth, no bridge)", kind or "?",
                 held(kind == "macvlan"), evidence)  # fmt: skip


def no_router(to: str, ttl: int | None, evidence: str) -> Check:
    """The reply's TTL is not decremented: nothing routes between the two (X8)."""
    return reply_ttl(to, "X8", ttl, 0, "not decremented (no router between)", evidence)
