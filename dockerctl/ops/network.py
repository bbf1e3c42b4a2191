"""`net path`, `net check`, `net prove`: networking read from the kernel of the engine's host and shown
by traffic (seed N, C, O)."""

from __future__ import annotations

import json
from typing import Any

from dockerctl.apply.containers import ensure_image_local, get
from dockerctl.checks.subject import running_pid
from dockerctl.checks.traffic import reach
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import Conflict, InvalidInput
from dockerctl.observe.iproute import ip_json, parse_links, parse_routes
from dockerctl.observe.iptables import iptables_save, parse_iptables_save
from dockerctl.observe.netpath import build_path, read_resolv
from dockerctl.observe.processes import processes
from dockerctl.observe.traffic import addresses
from dockerctl.ops.crosspath import find_container
from dockerctl.ops.reports import CheckReport
from dockerctl.prove.network import prove_outbound_nat, prove_published_port
from dockerctl.prove.twins import twins_of
from dockerctl.spec.models import BASE_IMAGE


def net_path(engine: Engine, ref: str) -> Any:
    host = engine.host
    c = get(engine.client, ref)
    pid = running_pid(c, needs="its network namespace")
    bridges = {}
    for n in engine_call(engine.client.networks.list, filters={"driver": "bridge"}, what="list networks"):
        opts = n.attrs.get("Options") or {}
        bridges[opts.get("com.docker.network.bridge.name") or f"br-{n.id[:12]}"] = n.name
    mode = str((c.attrs.get("HostConfig") or {}).get("NetworkMode", ""))
    path = build_path(
        c.name,
        mode,
        parse_links(ip_json(host, ["addr"], pid)),
        parse_routes(ip_json(host, ["route"], pid)),
        parse_links(ip_json(host, ["addr"])),
        parse_iptables_save(iptables_save(host, "nat")),
        bridges,
        (c.attrs.get("NetworkSettings") or {}).get("Ports") or {},
        processes(host, "docker-proxy"),
        read_resolv(host, pid),
    )
    # routes a routing daemon put on the host (BIRD's: `proto bird`, seed X13), and a veth peer
    # with no bridge: the host routes to the container itself
    host_routes = json.loads(ip_json(host, ["route"]) or "[]")
    peers = {str((h.peer or {}).get("name")) for h in path.hops if h.peer and not h.bridge}
    for r in host_routes:
        if r.get("dev") in peers:
            path.notes.append(
                f"no bridge: the host routes {r.get('dst')} to {r.get('dev')} (a /32 per workload, X13)"
            )
        if r.get("protocol") == "bird":
            kind = "blackhole " if r.get("type") == "blackhole" else ""
            via = f" via {r['gateway']} dev {r.get('dev')}" if r.get("gateway") else ""
            path.notes.append(f"host route {kind}{r.get('dst')}{via} proto bird (learned by BGP, X13)")
    return path


def net_check(
    engine: Engine,
    a_ref: str,
    b_ref: str,
    *,
    by: str = "ip",
    port: int | None = None,
    expect: str = "reachable",
) -> CheckReport:
    """Seed C1–C3, N2–N3: send a packet from a to b and say why it did or did not arrive."""
    if by not in ("ip", "name"):
        raise InvalidInput("--by must be ip or name", where="--by")
    if expect not in ("reachable", "isolated"):
        raise InvalidInput("--expect must be reachable or isolated", where="--expect")
    a, engine_a, host_a = find_container(a_ref, engine)
    b, engine_b, host_b = find_container(b_ref, engine)
    try:
        return _check(a, b, host_a, host_b, by=by, port=port, expect=expect)
    finally:
        for e in {engine_a.url: engine_a, engine_b.url: engine_b}.values():
            if e is not engine:
                e.close()


def _check(
    a: Any, b: Any, host_a: str, host_b: str, *, by: str, port: int | None, expect: str
) -> CheckReport:
    for c in (a, b):
        if c.status != "running":
            raise Conflict(f"container {c.name} is not running", hint=f"docker start {c.name}")
    mine, theirs = addresses(a), addresses(b)
    common = sorted(set(mine) & set(theirs))
    report = CheckReport()
    mode_a = str((a.attrs.get("HostConfig") or {}).get("NetworkMode", ""))
    if common:
        report.notes.append(f"common networks: {', '.join(common)} (seed C1)")
    else:
        report.notes.append(
            f"no common network: {a.name} on {sorted(mine) or mode_a}, {b.name} on {sorted(theirs)} "
            "— they cannot talk until `dockerctl net connect` (seed C1)"
        )
    if by == "name" and common == ["bridge"]:
        report.notes.append(
            "names resolve only on user-defined networks, not on the default bridge (seed C2)"
        )
    found = reach(a, b, by=by, port=port)
    if not found.attempts:  # b has no address: try its name, so the report says what happened
        found = reach(a, b, by="name", port=port)
    report.checks = found.per_target(expect == "reachable", "C1,C2")
    if host_a != host_b:
        report.notes.append(f"{a.name} runs on host {host_a}, {b.name} on host {host_b}")
        if not found.reached:
            report.notes.extend(switch_links_down(host_a, host_b))
    return report


def switch_links_down(*hosts: str) -> list[str]:
    """Why two hosts cannot talk, when it is the lab switch: a host's link to it is down (read here)."""
    from dockerctl.hosts import LocalHost

    notes = []
    for h in dict.fromkeys(hosts):
        link = f"dh-{h}"
        state = (LocalHost().read_text(f"/sys/class/net/{link}/operstate") or "").strip()
        if state and state != "up":
            notes.append(
                f"the lab-switch link of host {h} ({link}) is {state}: {h} is cut off from the switch"
            )
    return notes


def prove_network(engine: Engine, which: str) -> CheckReport:
    if which not in ("nat", "publish", "all"):
        raise InvalidInput(f"unknown proof {which!r}; choose nat, publish or all", where="WHICH")
    if not engine.host.local_network:
        raise InvalidInput(
            "net prove sends traffic from this machine to the engine's host: it needs the local engine",
            where="-H/--host",
        )
    ensure_image_local(engine.client, BASE_IMAGE)
    report = CheckReport()
    with twins_of(engine) as twins:
        if which in ("nat", "all"):
            report.checks.append(prove_outbound_nat(twins))
        if which in ("publish", "all"):
            report.checks.extend(prove_published_port(twins))
    return report
