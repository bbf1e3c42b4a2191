"""Proofs of weave's model (seed X12): containers on two hosts are on one L2 segment — the reply's TTL is
not decremented, the remote container's own MAC is in the local container's neighbour table, the local
host's bridge learned that MAC behind the vxlan port with the remote host as its `dst` — and its name
resolves across hosts as NAME.weave.local. Registered with the expectations."""

from __future__ import annotations

from typing import Any

from dockerctl.checks import traffic
from dockerctl.netmodels.weave import fabric as weave
from dockerctl.netmodels.weave import verdicts as segment
from dockerctl.netmodels.weave.section import DOMAIN
from dockerctl.observe.segment import read_segment
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import Context, handles
from dockerctl.verify.verdict import Check


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
    b_pid = int((b.attrs.get("State") or {}).get("Pid") or 0)
    a_pid = int((a.attrs.get("State") or {}).get("Pid") or 0)
    found = traffic.reach(a, b, by="ip")  # first: the ping makes the neighbour entry and the learned MAC
    view = read_segment(ctx.engines[ha].host, a_pid, ctx.engines[hb].host, b_pid, b_ip, weave.VXLAN)
    peers = sorted(addr for h, addr in wl.hosts.items() if h != ha)
    name = f"{body.to}.{DOMAIN}"
    looked = a.exec_run(["nslookup", name])
    answer = looked.output.decode(errors="replace")
    return [
        found.check(True, "X12", f"{body.source} → {body.to} ({b_ip})"),
        *segment.one_switch(
            view, traffic.reply_ttl(found), source=body.source, to=body.to, to_ip=b_ip, host=ha, remote_host=hb,
            remote_dst=wl.hosts[hb], peers=peers, port=weave.VXLAN, evidence=(str(a.name), str(b.name)),
        ),
        segment.resolves(name, body.source, b_ip, looked.exit_code, answer,
                         f"nslookup {name} inside {a.name} (embedded DNS → the lab's resolver {wl.resolver})"),
    ]  # fmt: skip
