"""Which third-party network model a host's kernel carries, and whether its entries agree (pure).

Judged from observe/netmodels.ModelFacts, by the names and shapes the real projects use — so the same
reading fits dockerctl's models on lab hosts and a real flanneld / calico-node / weave host:
- flannel vxlan (X11): a vxlan device `flannel.<VNI>`; per remote subnet exactly a route `via <subnet>.0
  onlink`, a permanent neighbour for that address and an FDB entry for its MAC to the peer's PublicIP.
- flannel host-gw (X11): no device; routes into the flannel network via the peers' addresses, each
  gateway on a directly connected link (the network from subnet.env, or the lab's record).
- calico (X13): workload interfaces `cali*` with a /32 route `scope link` and proxy ARP on; routes to
  other hosts' blocks `proto bird`; Felix's `cali-*` chains; no encapsulation device (pure L3).
- weave (X12): a bridge `weave` with a vxlan port (UDP 6784) whose FDB floods to every peer.
Each model is also labelled overlay or underlay by whether an encapsulation device carries it (X14).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from dockerctl.observe.iproute import FLOOD_MAC
from dockerctl.observe.netmodels import ModelFacts

WEAVE_PORT = 6784
_FLANNEL_DEV = re.compile(r"^flannel\.(\d+)$")


class Agreement(StrEnum):
    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    UNVERIFIED = "unverified"  # found, but the entries that would prove it are not readable here


@dataclass(frozen=True)
class ModelFinding:
    model: str  # "flannel vxlan", "flannel host-gw", "calico", "weave"
    claim: str
    verdict: Agreement
    kind: str  # overlay / underlay (X14), by evidence
    detail: str
    evidence: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        return data


def _kind(link: dict[str, Any]) -> str:
    return str((link.get("linkinfo") or {}).get("info_kind") or "")


def _vxlan(link: dict[str, Any]) -> dict[str, Any]:
    return dict((link.get("linkinfo") or {}).get("info_data") or {})


def _states(entry: dict[str, Any]) -> list[str]:
    state = entry.get("state") or []
    return [str(s).upper() for s in ([state] if isinstance(state, str) else state)]


def _verdict(problems: list[str]) -> Agreement:
    return Agreement.INCONSISTENT if problems else Agreement.CONSISTENT


def _flannel_vxlan(facts: ModelFacts, dev: dict[str, Any]) -> ModelFinding:
    name = str(dev["ifname"])
    info = _vxlan(dev)
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
        if "PERMANENT" not in _states(n):
            problems.append(f"neighbour {gw} on {name} is {'/'.join(_states(n)) or '?'}, not permanent")
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
    return ModelFinding("flannel vxlan", "X11", _verdict(problems), "overlay", detail, evidence, problems)


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
    return ModelFinding("flannel host-gw", "X11", _verdict(problems), "underlay", detail, evidence, problems)


def _calico(facts: ModelFacts) -> ModelFinding | None:
    workloads = [lk for lk in facts.links if str(lk.get("ifname", "")).startswith("cali")]
    bird = [r for r in facts.routes if r.get("protocol") == "bird"]
    chains = sorted(
        {line[1:].split()[0] for line in facts.filter_rules.splitlines() if line.startswith(":cali-")}
    )
    if not (workloads or bird or chains):
        return None
    host_routes = {
        str(r.get("dev")): str(r.get("dst"))
        for r in facts.routes
        if str(r.get("dev", "")).startswith("cali") and r.get("scope") == "link"
    }
    problems: list[str] = []
    evidence: list[str] = []
    for lk in workloads:
        name = str(lk["ifname"])
        dst = host_routes.get(name)
        if dst is None:
            problems.append(f"{name}: no /32 route `dev {name} scope link` to its workload")
        proxy = facts.proxy_arp.get(name, "?")
        if proxy != "1":
            problems.append(f"{name}: proxy_arp is {proxy}, not 1 (169.254.1.1 would go unanswered)")
        if dst is not None and proxy == "1":
            evidence.append(f"{dst.split('/')[0]}/32 dev {name} scope link, proxy_arp 1")
    for r in bird:
        how = f"via {r['gateway']}" if r.get("gateway") else str(r.get("type") or "")
        evidence.append(f"{r.get('dst')} {how} proto bird")
    encap = [
        str(lk["ifname"])
        for lk in facts.links
        if _kind(lk) in ("ipip", "vxlan") and any(r.get("dev") == lk["ifname"] for r in facts.routes)
    ]
    if chains:
        evidence.append(f"iptables chains: {', '.join(chains)}")
    detail = (
        f"{len(workloads)} workload interface(s) cali*, {len(bird)} route(s) proto bird, "
        f"{len(chains)} cali-* chain(s); "
        + (f"encapsulated by {', '.join(encap)}" if encap else "no encapsulation device: pure L3")
    )
    return ModelFinding(
        "calico", "X13", _verdict(problems), "overlay" if encap else "underlay", detail, evidence, problems
    )


def _weave(facts: ModelFacts) -> ModelFinding | None:
    bridge = next((lk for lk in facts.links if lk.get("ifname") == "weave" and _kind(lk) == "bridge"), None)
    if bridge is None:
        return None
    ports = [lk for lk in facts.links if lk.get("master") == "weave"]
    vxlans = [
        lk
        for lk in facts.links
        if _kind(lk) == "vxlan" and (lk.get("master") == "weave" or _vxlan(lk).get("port") == WEAVE_PORT)
    ]
    problems: list[str] = []
    evidence: list[str] = [f"bridge weave, MTU {bridge.get('mtu', '?')}, {len(ports)} port(s)"]
    verdict = Agreement.CONSISTENT
    if not vxlans:
        problems.append("no vxlan device on the weave bridge or on UDP 6784: no path to other hosts")
    for v in vxlans:
        name = str(v["ifname"])
        info = _vxlan(v)
        flood = [f for f in facts.fdb if f.get("ifname") == name and f.get("mac") == FLOOD_MAC]
        learned = [
            f for f in facts.fdb if f.get("ifname") == name and f.get("mac") != FLOOD_MAC and f.get("dst")
        ]
        evidence.append(
            f"{name}: vxlan VNI {info.get('id', '?')} UDP {info.get('port', '?')}; flood to "
            f"{', '.join(str(f.get('dst')) for f in flood) or 'nobody'}; "
            f"{len(learned)} remote MAC(s) learned"
        )
        if v.get("master") == "weave" and not flood:
            problems.append(f"{name} has no flood entry {FLOOD_MAC}: broadcasts (ARP) reach no other host")
        elif v.get("master") != "weave":  # weave's fast datapath: peers live in the OVS datapath
            verdict = Agreement.UNVERIFIED
    detail = f"one L2 segment: bridge weave with {len(vxlans)} vxlan port(s)" + (
        ", encapsulated (overlay)" if vxlans else ""
    )
    return ModelFinding(
        "weave",
        "X12",
        Agreement.INCONSISTENT if problems else verdict,
        "overlay" if vxlans else "underlay",
        detail,
        evidence,
        problems,
    )


def _flannel(facts: ModelFacts) -> list[ModelFinding]:
    devices = [lk for lk in facts.links if _kind(lk) == "vxlan" and _FLANNEL_DEV.match(str(lk["ifname"]))]
    if devices:
        return [_flannel_vxlan(facts, dev) for dev in devices]
    hostgw = _flannel_host_gw(facts) if facts.ranges.get("flannel") else None
    return [hostgw] if hostgw is not None else []


@dataclass(frozen=True)
class Detector:
    """How one model is found in a kernel that runs it (a lab host, or a real install): what it looks
    for, said in `doctor`'s report, and the judge that reads the facts. A NetworkModel names its own."""

    looked_for: str
    judge: Callable[[ModelFacts], list[ModelFinding]]


def _one(judge: Callable[[ModelFacts], ModelFinding | None]) -> Callable[[ModelFacts], list[ModelFinding]]:
    return lambda facts: [f] if (f := judge(facts)) is not None else []


FLANNEL = Detector("flannel.<VNI> vxlan devices, routes into a flannel network (subnet.env)", _flannel)
CALICO = Detector("cali* interfaces, routes proto bird, cali-* chains", _one(_calico))
WEAVE = Detector("a bridge named weave", _one(_weave))
DETECTORS = (FLANNEL, CALICO, WEAVE)  # every model this module can find


def judge_models(facts: ModelFacts, detectors: Sequence[Detector] = DETECTORS) -> list[ModelFinding]:
    """Every model found in the host's kernel (none: an empty list)."""
    return [finding for d in detectors for finding in d.judge(facts)]


def looked_for(detectors: Sequence[Detector] = DETECTORS) -> str:
    return ", ".join(d.looked_for for d in detectors)
