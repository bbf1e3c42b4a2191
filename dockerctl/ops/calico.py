"""A lab's calico (seed X13): its etcd (IPAM blocks), a BIRD per host in a full iBGP mesh, the network +
IPAM driver every host's engine calls, and the playbook's policies compiled into Felix's chains on each
host once the containers are up. Down after the networks and before the hosts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import Conflict, InvalidInput
from dockerctl.fabric import calico, etcd
from dockerctl.fabric.hostlinks import alias
from dockerctl.plugins import daemon
from dockerctl.plugins.calico_net import veth_names
from dockerctl.spec.calico import DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook

Progress = Callable[[str], None]


def calico_of(pb: Playbook) -> calico.CalicoLab | None:
    if pb.calico is None:
        return None
    addresses = pb.lab_addresses()
    policies = tuple(
        calico.Policy(
            name, dict(p.selector), tuple(calico.Rule(dict(r.source), r.port, r.protocol) for r in p.allow)
        )
        for name, p in pb.policies.items()
    )
    c = pb.calico
    return calico.CalicoLab(
        pb.name, {h: addresses[h] for h in pb.calico_hosts()}, c.pool, c.block_len, c.asn, policies
    )


def preflight(pb: Playbook) -> None:
    if pb.calico is None:
        return
    missing = [tool for tool in ("etcd", "bird", "birdc", "iptables-restore") if shutil.which(tool) is None]
    if missing:
        raise InvalidInput(
            f"calico's model needs etcd, BIRD and iptables on this machine ({', '.join(missing)} not found)",
            where=pb.where("calico"),
            hint="scripts/setup installs them (Debian: etcd-server bird2 iptables)",
        )
    rec = daemon.load(DRIVER)
    if rec is not None and rec.lab != pb.name and daemon.running_pid(rec) is not None:
        raise Conflict(
            f"the network driver {DRIVER} is served for lab {rec.lab}: one lab's calico at a time",
            where=pb.where("calico"),
            hint=f"`dockerctl down --lab {rec.lab}` first",
        )


def calico_up(pb: Playbook, progress: Progress | None = None) -> None:
    cl = calico_of(pb)
    if cl is None:
        return
    say = progress or (lambda _m: None)
    say(f"calico ({cl.pool}): etcd, BIRD on {', '.join(cl.hosts)}, the {DRIVER} driver")
    store = etcd.start(etcd.Etcd(pb.name))
    calico.save(cl)
    for host in cl.hosts:
        calico.start_bird(cl, host, calico.claim_block(store, cl, host))
    calico.wait_for_mesh(cl)
    daemon.start_calico(pb.name)


def apply_policies(pb: Playbook, engines: dict[str, Engine]) -> int:
    """Felix's chains on every calico host, from the policies and the containers as they are now.
    → the number of workloads a policy selects."""
    cl = calico_of(pb)
    if cl is None:
        return 0
    workloads = []
    for name, c in pb.containers.items():
        host = pb.host_of(c)
        nets = [n for n in c.networks if n in pb.networks and pb.networks[n].driver == DRIVER]
        if not nets:
            continue
        ctr = engine_call(engines[host].client.containers.get, f"{pb.name}-{name}", what=f"inspect {name}")
        settings = (ctr.attrs.get("NetworkSettings") or {}).get("Networks") or {}
        ep = settings.get(f"{pb.name}-{nets[0]}") or {}
        if ep.get("EndpointID") and ep.get("IPAddress"):
            workloads.append(
                calico.Workload(
                    name, host, ep["IPAddress"], veth_names(ep["EndpointID"])[0], dict(ctr.labels or {})
                )
            )
    for host in cl.hosts:
        calico.apply_policies(
            engines[host].host, calico.compile_policies(cl.policies, workloads, host), alias(pb.name)
        )
    return sum(1 for w in workloads if any(calico.selects(p.selector, w.labels) for p in cl.policies))


def serve_again(lab: str) -> None:
    if calico.load(lab) is None:
        return
    etcd.start(etcd.Etcd(lab))
    daemon.start_calico(lab)


def calico_down(lab: str) -> bool:
    cl = calico.load(lab)
    rec = daemon.load(DRIVER)
    if rec is not None and rec.lab == lab:
        daemon.stop(DRIVER)
    if cl is not None:
        for host in cl.hosts:
            calico.stop_bird(cl, host)
    etcd.stop(etcd.Etcd(lab))
    calico.forget(lab)
    return cl is not None
