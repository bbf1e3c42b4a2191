"""Proofs of calico's model (seed X13), read from the kernels and from BIRD: the path between two
containers on different hosts is routed (the reply's TTL drops by one per host), the route to the other
host's block was learned by BGP (`proto bird`), the BGP sessions are established, and no encapsulation
device exists on either host. Registered with the expectations."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from dockerctl.checks import traffic
from dockerctl.fabric import calico
from dockerctl.hosts.base import Host
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import Context, _v, handles
from dockerctl.verify.checks import Check

ENCAPSULATION = ("vxlan", "ipip", "gre", "gretap", "geneve", "wireguard", "sit", "ip6tnl")


def encapsulation_devices(host: Host) -> list[str]:
    done = host.run(["ip", "-d", "-json", "link", "show"])
    links = json.loads(done.stdout or "[]") if done.ok else []
    return sorted(
        f"{link['ifname']} ({kind})"
        for link in links
        if (kind := (link.get("linkinfo") or {}).get("info_kind", "")) in ENCAPSULATION
    )


@handles("routed")
def _routed(body: Any, ctx: Context) -> list[Check]:
    cl = calico.load(ctx.playbook.name)
    if cl is None:
        raise RuntimeError(f"lab {ctx.playbook.name} has no calico up")
    a, b = ctx[body.source], ctx[body.to]
    ha, hb = (
        ctx.playbook.host_of(ctx.playbook.containers[body.source]),
        ctx.playbook.host_of(ctx.playbook.containers[body.to]),
    )
    b.reload()
    b_ip = next(iter(addresses(b).values()), "")
    found = traffic.reach(a, b, by="ip")
    ttl = traffic.reply_ttl(found)
    hops = 0 if ha == hb else 2
    checks = [
        found.check(True, "X13", f"{body.source} → {body.to} ({b_ip}/32)"),
        Check(
            f"TTL of {body.to}'s reply",
            "X13",
            f"{64 - hops}: routed by {'both hosts' if hops else 'the host'} (pure L3)",
            str(ttl),
            _v(ttl == 64 - hops),
            f"ping output inside {a.name}",
        ),
    ]
    k = ctx.engines[ha].host
    routes = json.loads(k.run(["ip", "-json", "route", "show"]).stdout or "[]")
    learned = [
        r for r in routes
        if r.get("protocol") == "bird" and r.get("gateway") == cl.hosts.get(hb)
        and "/" in r.get("dst", "") and ipaddress.ip_address(b_ip) in ipaddress.ip_network(r["dst"])
    ]  # fmt: skip
    checks.append(
        Check(
            f"{ha}: route to {body.to}'s block",
            "X13",
            f"<block> via {cl.hosts.get(hb)} proto bird (learned by BGP)",
            ", ".join(f"{r['dst']} via {r['gateway']} proto {r['protocol']}" for r in learned) or "none",
            _v(bool(learned)),
            f"ip -json route (in {ha}'s namespace)",
        )
    )
    for host in sorted({ha, hb}):
        sessions = calico.bgp_sessions(cl, host)
        up = {
            name: info for name, (state, info) in sessions.items() if state == "up" and "Established" in info
        }
        checks.append(
            Check(
                f"{host}: BGP sessions",
                "X13",
                f"{len(cl.hosts) - 1} established (full mesh)",
                ", ".join(f"{n} {s} {i}" for n, (s, i) in sorted(sessions.items())) or "none",
                _v(len(up) == len(cl.hosts) - 1),
                f"birdc -s {cl.host_dir(host) / 'bird.ctl'} show protocols",
            )
        )
        encap = encapsulation_devices(ctx.engines[host].host)
        checks.append(
            Check(
                f"{host}: encapsulation devices",
                "X13",
                "none (no overlay)",
                ", ".join(encap) or "none",
                _v(not encap),
                f"ip -d -json link (in {host}'s namespace)",
            )
        )
    return checks
