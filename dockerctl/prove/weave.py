"""Proofs of weave's model (seed X12): containers on two hosts are on one L2 segment — the reply's TTL is
not decremented, the remote container's own MAC is in the local container's neighbour table, the local
host's bridge learned that MAC behind the vxlan port with the remote host as its `dst` — and its name
resolves across hosts as NAME.weave.local. Registered with the expectations."""

from __future__ import annotations

import json
from typing import Any

from dockerctl.checks import traffic
from dockerctl.fabric import weave
from dockerctl.observe.iproute import FLOOD_MAC
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import Context, _v, handles
from dockerctl.spec.weave import DOMAIN
from dockerctl.verify.checks import Check


@handles("one_switch")
def _one_switch(body: Any, ctx: Context) -> list[Check]:
    wl = weave.load(ctx.playbook.name)
    if wl is None:
        raise RuntimeError(f"lab {ctx.playbook.name} has no weave up")
    pb = ctx.playbook
    a, b = ctx[body.source], ctx[body.to]
    ha, hb = pb.host_of(pb.containers[body.source]), pb.host_of(pb.containers[body.to])
    b.reload()
    b_ip = next(iter(addresses(b).values()), "")
    kb, ka = ctx.engines[hb].host, ctx.engines[ha].host
    b_pid = int((b.attrs.get("State") or {}).get("Pid") or 0)
    a_pid = int((a.attrs.get("State") or {}).get("Pid") or 0)
    [b_eth0] = json.loads(kb.nsenter(b_pid, ["ip", "-json", "link", "show", "dev", "eth0"]).stdout or "[{}]")
    b_mac = str(b_eth0.get("address", ""))
    found = traffic.reach(a, b, by="ip")
    ttl = traffic.reply_ttl(found)
    neigh = json.loads(ka.nsenter(a_pid, ["ip", "-json", "neigh", "show", b_ip]).stdout or "[]")
    seen_mac = next((n.get("lladdr", "") for n in neigh if n.get("dst") == b_ip), "")
    fdb = json.loads(ka.run(["bridge", "-json", "fdb", "show", "dev", weave.VXLAN]).stdout or "[]")
    learned = next((f.get("dst", "") for f in fdb if f.get("mac") == b_mac and f.get("dst")), "")
    flood = sorted(f.get("dst", "") for f in fdb if f.get("mac") == FLOOD_MAC)
    peers = sorted(addr for h, addr in wl.hosts.items() if h != ha)
    name = f"{body.to}.{DOMAIN}"
    looked = a.exec_run(["nslookup", name])
    answer = looked.output.decode(errors="replace")
    resolved = looked.exit_code == 0 and b_ip in answer.split("Name:", 1)[-1]
    return [
        found.check(True, "X12", f"{body.source} → {body.to} ({b_ip})"),
        Check(f"TTL of {body.to}'s reply", "X12", "64: not decremented (one switch, no router)", str(ttl),
              _v(ttl == 64), f"ping output inside {a.name}"),
        Check(f"{body.source}'s neighbour entry for {b_ip}", "X12", f"{b_mac} ({body.to}'s own eth0 MAC)",
              seen_mac or "none", _v(bool(b_mac) and seen_mac == b_mac),
              f"ip -json neigh inside {a.name}; ip link show eth0 inside {b.name}"),
        Check(f"{ha}: {body.to}'s MAC on the weave bridge", "X12",
              f"learned behind {weave.VXLAN} with dst {wl.hosts[hb]} ({hb})", learned or "not learned",
              _v(learned == wl.hosts[hb]), f"bridge -json fdb show dev {weave.VXLAN} (in {ha}'s namespace)"),
        Check(f"{ha}: flood entries", "X12", f"{FLOOD_MAC} to every peer ({', '.join(peers)})",
              ", ".join(flood) or "none", _v(flood == peers),
              f"bridge -json fdb show dev {weave.VXLAN} (in {ha}'s namespace)"),
        Check(f"{name} from {body.source}", "X12", f"{b_ip} (names resolve across hosts)",
              b_ip if resolved else (answer.strip().splitlines() or ["no answer"])[-1], _v(resolved),
              f"nslookup {name} inside {a.name} (embedded DNS → the lab's resolver {wl.resolver})"),
    ]  # fmt: skip
