"""Proofs of calico's model (seed X13), read from the kernels and from BIRD: the path between two
containers on different hosts is routed (the reply's TTL drops by one per host), the route to the other
host's block was learned by BGP (`proto bird`), the BGP sessions are established, and no encapsulation
device exists on either host. Registered with the expectations."""

from __future__ import annotations

from typing import Any

from dockerctl.checks import traffic
from dockerctl.netmodels.calico import fabric as calico
from dockerctl.netmodels.calico import verdicts as routed
from dockerctl.observe.iproute import json_rows
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import Context, handles
from dockerctl.verify.verdict import Check


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
    checks = [
        found.check(True, "X13", f"{body.source} → {body.to} ({b_ip}/32)"),
        routed.ttl(body.to, traffic.reply_ttl(found), 0 if ha == hb else 2, f"ping output inside {a.name}"),
        routed.learned_route(
            ha,
            body.to,
            b_ip,
            cl.hosts.get(hb, ""),
            json_rows(ctx.engines[ha].host, ["ip", "-json", "route", "show"]),
        ),
    ]
    for host in sorted({ha, hb}):
        ctl = f"birdc -s {cl.host_dir(host) / 'bird.ctl'} show protocols"
        checks.append(routed.full_mesh(host, calico.bgp_sessions(cl, host), len(cl.hosts) - 1, ctl))
        links = json_rows(ctx.engines[host].host, ["ip", "-d", "-json", "link", "show"])
        checks.append(routed.no_encapsulation(host, routed.encapsulation(links)))
    return checks
