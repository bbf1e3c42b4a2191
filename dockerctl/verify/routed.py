"""Judging calico's routed path between two containers (seed X13) from what was read: the reply's TTL,
the host's routes, the BGP sessions BIRD reports, the links that could encapsulate."""

from __future__ import annotations

import ipaddress
from typing import Any

from dockerctl.verify.checks import Check, held, reply_ttl

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
