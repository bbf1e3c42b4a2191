"""Judging calico's routed path between two containers (seed X13) from what was read: the reply's TTL,
the host's routes, the BGP sessions BIRD reports, the links that could encapsulate; and how `doctor`
finds calico in a kernel (`DETECTOR`)."""

from __future__ import annotations

import ipaddress
from typing import Any

from dockerctl.observe.netmodels import ModelFacts
from dockerctl.verify.netmodels import Detector, ModelFinding, kind_of, one, verdict_of
from dockerctl.verify.verdict import Check, held, reply_ttl

ENCAPSULATION = ("vxlan", "ipip", "gre", "gretap", "geneve", "wireguard", "sit", "ip6tnl")


def encapsulation(links: list[dict[str, Any]]) -> list[str]:
    """The links (`ip -d -json link`) that would carry traffic in a tunnel: "name (kind)"."""
    return sorted(
        f"{link['ifname']} ({kind})"
        for link in links
        if (kind := (link.get("linkinfo") or {}).get("info_kind", "")) in ENCAPSULATION
    )


def ttl(to: str, observed: int | None, hops: int, evidence: str) -> Check:
    """One decrement per host that routes: 64 − hops."""
    routed = "both hosts" if hops else "the host"
    return reply_ttl(to, "X13", observed, hops, f"routed by {routed} (pure L3)", evidence)


def learned_route(host: str, to: str, to_ip: str, gateway: str, routes: list[dict[str, Any]]) -> Check:
    """A route covering `to_ip` via the other host, installed by BIRD (learned by BGP)."""
    learned = [
        r for r in routes
        if r.get("protocol") == "bird" and r.get("gateway") == gateway
        and "/" in r.get("dst", "") and ipaddress.ip_address(to_ip) in ipaddress.ip_network(r["dst"])
    ]  # fmt: skip
    return Check(
        f"{host}: route to {to}'s block", "X13", f"<block> via {gateway} proto bird (learned by BGP)",
        ", ".join(f"{r['dst']} via {r['gateway']} proto {r['protocol']}" for r in learned) or "none",
        held(bool(learned)), f"ip -json route (in {host}'s namespace)",
    )  # fmt: skip


def full_mesh(host: str, sessions: dict[str, tuple[str, str]], peers: int, evidence: str) -> Check:
    """Every other host's BGP session up and Established."""
    up = [name for name, (state, info) in sessions.items() if state == "up" and "Established" in info]
    return Check(f"{host}: BGP sessions", "X13", f"{peers} established (full mesh)",
                 ", ".join(f"{n} {s} {i}" for n, (s, i) in sorted(sessions.items())) or "none",
                 held(len(up) == peers), evidence)  # fmt: skip


def no_encapsulation(host: str, devices: list[str]) -> Check:
    return Check(f"{host}: encapsulation devices", "X13", "none (no overlay)", ", ".join(devices) or "none",
                 held(not devices), f"ip -d -json link (in {host}'s namespace)")  # fmt: skip


# -- how `doctor` finds calico in a kernel (a lab host, or a real calico-node) ---------------------------
# X13: workload interfaces `cali*` with a /32 route `scope link` and proxy ARP on; routes to other hosts'
# blocks `proto bird`; Felix's `cali-*` chains; no encapsulation device (pure L3).


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
        if kind_of(lk) in ("ipip", "vxlan") and any(r.get("dev") == lk["ifname"] for r in facts.routes)
    ]
    if chains:
        evidence.append(f"iptables chains: {', '.join(chains)}")
    detail = (
        f"{len(workloads)} workload interface(s) cali*, {len(bird)} route(s) proto bird, "
        f"{len(chains)} cali-* chain(s); "
        + (f"encapsulated by {', '.join(encap)}" if encap else "no encapsulation device: pure L3")
    )
    return ModelFinding(
        "calico", "X13", verdict_of(problems), "overlay" if encap else "underlay", detail, evidence, problems
    )


DETECTOR = Detector(
    "cali* interfaces, routes proto bird, cali-* chains", one(_calico), proxy_arp_of="cali", model="calico"
)
