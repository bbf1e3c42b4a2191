"""Judging flannel's model (seed X11) from what was read: a host's lease in etcd, the kernel entries the
host holds for the other leases, a deleted lease's entries leaving the other hosts, and the source
address a container on another subnet sees (no NAT between subnets); and how `doctor` finds flannel
in a kernel, vxlan or host-gw (`DETECTOR`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Protocol

from dockerctl.observe.iproute import FLOOD_MAC
from dockerctl.observe.netmodels import ModelFacts
from dockerctl.verify.netmodels import Detector, ModelFinding, kind_of, states_of, verdict_of, vxlan_of
from dockerctl.verify.verdict import Check, Verdict, held

SUBNET_ENV = "/run/flannel/subnet.env"  # what flanneld writes for docker (FLANNEL_NETWORK, FLANNEL_SUBNET …)
_FLANNEL_DEV = re.compile(r"^flannel\.(\d+)$")


class KernelEntries(Protocol):
    """A host's entries for the other leases (fabric/flannel.Entries): subnet → via, and for vxlan
    <subnet>.0 → VtepMAC (neighbours) and VtepMAC → PublicIP (fdb)."""

    @property
    def routes(self) -> dict[str, str]: ...

    @property
    def neighbours(self) -> dict[str, str]: ...

    @property
    def fdb(self) -> dict[str, str]: ...


def describe(e: KernelEntries) -> str:
    parts = [f"{len(e.routes)} route(s)"]
    if e.neighbours or e.fdb:
        parts += [f"{len(e.neighbours)} neighbour(s)", f"{len(e.fdb)} FDB entr(ies)"]
    return ", ".join(parts)


def no_lease(subject: str, desired: str, where: str) -> Check:
    return Check(subject, "X11", desired, "none", Verdict.MISMATCH, where)


def lease(
    host: str, key: str, want: tuple[str, str, int], seen: tuple[str, str, int, int], evidence: str
) -> Check:
    """want: the host's PublicIP, the backend and the TTL the lab gave; seen: the lease's PublicIP and
    backend, the TTL etcd granted and the seconds left. It holds with the lab's backend and TTL, alive."""
    public_ip, backend, ttl = want
    seen_ip, seen_backend, granted, left = seen
    return Check(
        f"{host}: its lease {key}",
        "X11",
        f"PublicIP {public_ip}, backend {backend}, TTL {ttl}s",
        f"PublicIP {seen_ip}, backend {seen_backend}, TTL {granted}s ({left}s left)",
        held(seen_backend == backend and granted == ttl and left > 0),
        evidence,
    )


def kernel_entries(host: str, want: KernelEntries, have: KernelEntries, others: int, evidence: str) -> Check:
    """The host holds exactly the entries the other leases call for, a route for each."""
    return Check(
        f"{host}: kernel entries for the other {others} lease(s)",
        "X11",
        describe(want) + " (" + ", ".join(f"{s} via {v}" for s, v in sorted(want.routes.items())) + ")",
        describe(have) + ("" if have == want else f": {have}"),
        held(have == want and len(want.routes) == others),
        evidence,
    )


def lease_gone(
    host: str, key: str, subnet: str, others: list[str], still_on: list[str], took: float, evidence: str
) -> Check:
    """After `host`'s lease was deleted, its entries left every other host (none `still_on` one)."""
    return Check(
        f"{host}'s lease {key} deleted from etcd",
        "X11",
        f"its entries ({subnet}) leave {', '.join(others)}",
        f"gone from every other host after {took:.1f}s"
        if not still_on
        else f"still on {', '.join(still_on)} after {took:.1f}s",
        held(not still_on),
        evidence,
    )


def source_address(
    subject: str, source: str, source_ip: str, peer: str | None, why: str, evidence: str
) -> Check:
    """The connection arrived from `source`'s own address: no NAT between subnets. why: what happened
    when none arrived."""
    return Check(
        subject,
        "X11",
        f"{source_ip} ({source}'s own: no NAT between subnets)",
        peer or f"no connection arrived ({why})",
        held(peer == source_ip),
        evidence,
    )


def source_not_read(subject: str, source_ip: str) -> Check:
    """The listener runs in the receiving container's namespace from this machine: not for another's."""
    return Check(
        subject, "X11", source_ip, "not read", Verdict.UNKNOWN, "", "b's host is not on this machine"
    )


# -- how `doctor` finds flannel in a kernel (a lab host, or a real flanneld) -----------------------------
# vxlan (X11): a vxlan device `flannel.<VNI>`; per remote subnet exactly a route `via <subnet>.0 onlink`,
# a permanent neighbour for that address and an FDB entry for its MAC to the peer's PublicIP.
# host-gw (X11): no device; routes into the flannel network via the peers' addresses, each gateway on a
# directly connected link (the network from subnet.env, or the lab's record).


def _flannelvxlan_of(facts: ModelFacts, dev: dict[str, Any]) -> ModelFinding:
    name = str(dev["ifname"])
    info = vxlan_of(dev)
    routes = [r for r in facts.routes if r.get("dev") == name]
    neigh = {str(n.get("dst")): n for n in facts.neighbours if n.get("dev") == name}
    fdb = {str(f.get("mac")): f for f in facts.fdb if f.get("ifname") == name and f.get("dst")}
    problems: list[str] = []
    evidence: list[str] = []
    used_macs: set[str] = set()
    for r in routes:
        dst, gw = str(r.get("dst")), str(r.get("gateway") or "")
        if not gw or "onlink" not in (r.get("flags") or []):
            problems.append(f"route {dst} dev {name} is not `via <subnet>.0 onlink` as flannel makes it")
            continue
        n = neigh.get(gw)
        if n is None or not n.get("lladdr"):
            problems.append(f"route {dst} via {gw}: no neighbour entry for {gw} on {name}")
            continue
        if "PERMANENT" not in states_of(n):
            problems.append(f"neighbour {gw} on {name} is {'/'.join(states_of(n)) or '?'}, not permanent")
        mac = str(n["lladdr"])
        used_macs.add(mac)
        f = fdb.get(mac)
        if f is None:
            problems.append(f"route {dst} via {gw}: no FDB entry for its VTEP MAC {mac} on {name}")
            continue
        evidence.append(f"{dst} via {gw} onlink → neighbour {mac} → FDB dst {f['dst']}")
    for mac, f in fdb.items():
        if mac not in used_macs and mac != FLOOD_MAC:
            problems.append(f"FDB entry {mac} → {f.get('dst')} on {name} has no route: a peer left behind")
    detail = (
        f"{name}: VNI {info.get('id', '?')}, UDP {info.get('port', '?')}, MTU {dev.get('mtu', '?')}; "
        f"{len(routes)} remote subnet(s), each needing route + permanent neighbour + FDB entry"
    )
    if facts.subnet_env:
        detail += f"; subnet.env: FLANNEL_SUBNET={facts.subnet_env.get('FLANNEL_SUBNET', '?')}"
    evidence.insert(0, f"ip -d link show {name}; ip route; ip neigh; bridge fdb")
    return ModelFinding("flannel vxlan", "X11", verdict_of(problems), "overlay", detail, evidence, problems)


def _connected(facts: ModelFacts) -> list[ipaddress.IPv4Network]:
    out = []
    for r in facts.routes:
        if r.get("scope") == "link" and "/" in str(r.get("dst", "")):
            try:
                out.append(ipaddress.IPv4Network(str(r["dst"]), strict=False))
            except ValueError:
                continue
    return out


def _flannel_host_gw(facts: ModelFacts) -> ModelFinding | None:
    try:
        network = ipaddress.IPv4Network(facts.ranges.get("flannel", ""), strict=False)
    except ValueError:
        return None
    connected = _connected(facts)
    problems: list[str] = []
    evidence: list[str] = []
    routes = 0
    for r in facts.routes:
        try:
            dst = ipaddress.IPv4Network(str(r.get("dst", "")), strict=False)
        except ValueError:
            continue
        if not dst.subnet_of(network) or not r.get("gateway"):
            continue
        routes += 1
        gw = ipaddress.IPv4Address(str(r["gateway"]))
        if any(gw in c for c in connected):
            evidence.append(f"{dst} via {gw} dev {r.get('dev')}")
        else:
            problems.append(f"route {dst} via {gw}: the gateway is on no directly connected link")
    detail = (
        f"flannel network {network}: {routes} remote subnet(s) routed via their hosts' addresses "
        "(needs L2 adjacency), no encapsulation device"
    )
    evidence.insert(0, "ip route (routes into the flannel network with a gateway)")
    return ModelFinding(
        "flannel host-gw", "X11", verdict_of(problems), "underlay", detail, evidence, problems
    )


def _flannel(facts: ModelFacts) -> list[ModelFinding]:
    devices = [lk for lk in facts.links if kind_of(lk) == "vxlan" and _FLANNEL_DEV.match(str(lk["ifname"]))]
    if devices:
        return [_flannelvxlan_of(facts, dev) for dev in devices]
    hostgw = _flannel_host_gw(facts) if facts.ranges.get("flannel") else None
    return [hostgw] if hostgw is not None else []


DETECTOR = Detector(
    "flannel.<VNI> vxlan devices, routes into a flannel network (subnet.env)",
    _flannel,
    env_file=SUBNET_ENV,
    env_range="FLANNEL_NETWORK",
    model="flannel",
)
