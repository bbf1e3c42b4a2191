"""A lab's calico (seed X13): its etcd (IPAM blocks), a BIRD per host in a full iBGP mesh, the network +
IPAM driver every host's engine calls, and the playbook's policies compiled into Felix's chains on each
host once the containers are up. Down after the networks and before the hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockerctl.engines.engine import Engine
from dockerctl.fabric import etcd
from dockerctl.fabric.hostlinks import alias
from dockerctl.netmodels.base import NetworkModel, Progress, on_model_networks
from dockerctl.netmodels.calico import fabric as calico
from dockerctl.netmodels.calico import verdicts
from dockerctl.netmodels.calico.driver import CalicoDriver
from dockerctl.netmodels.calico.section import DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook


class Calico(NetworkModel):
    name, driver, uses_etcd, records, detector = "calico", DRIVER, True, calico.RECORDS, verdicts.DETECTOR
    tools = ("etcd", "bird", "birdc", "iptables-restore")
    needs, packages = "etcd, BIRD and iptables", "etcd-server bird2 iptables"

    def lab_of(self, pb: Playbook) -> calico.CalicoLab | None:
        if pb.section("calico") is None:
            return None
        addresses = pb.lab_addresses()
        policies = tuple(
            calico.Policy(
                name,
                dict(p.selector),
                tuple(calico.Rule(dict(r.source), r.port, r.protocol) for r in p.allow),
            )
            for name, p in pb.section("policies").items()
        )
        c = pb.section("calico")
        return calico.CalicoLab(
            pb.name, {h: addresses[h] for h in pb.model_hosts("calico")}, c.pool, c.block_len, c.asn, policies
        )

    def summary(self, rec: calico.CalicoLab) -> str:
        return f"({rec.pool}): etcd, BIRD on {', '.join(rec.hosts)}, the {DRIVER} driver"

    def make(self, pb: Playbook, rec: calico.CalicoLab) -> None:
        store = etcd.start(etcd.Etcd(pb.name))
        calico.save(rec)
        for host in rec.hosts:
            calico.start_bird(rec, host, calico.claim_block(store, rec, host))
        calico.wait_for_mesh(rec)

    def after_containers(self, pb: Playbook, engines: dict[str, Engine], say: Progress) -> None:
        policies = pb.section("policies")
        if policies:
            say(f"calico policies: {', '.join(policies)}")
            apply_policies(pb, engines)

    def stop(self, rec: calico.CalicoLab) -> None:
        for host in rec.hosts:
            calico.stop_bird(rec, host)

    host_routes = True

    def route_ranges(self, lab: str, subnets: list[str]) -> list[str] | None:
        """calico's pool (its IPAM tells the engine 0.0.0.0/0)."""
        cl = calico.load(lab)
        return [cl.pool] if cl is not None else []


def apply_policies(pb: Playbook, engines: dict[str, Engine]) -> int:
    """Felix's chains on every calico host, from the policies and the containers as they are now.
    → the number of workloads a policy selects."""
    cl = MODEL.lab_of(pb)
    if cl is None:
        return 0
    workloads = [
        calico.Workload(
            name, host, ep["IPAddress"], CalicoDriver.veth_names(ep["EndpointID"])[0], dict(ctr.labels or {})
        )
        for name, host, ctr, ep in on_model_networks(pb, engines, DRIVER)
        if ep.get("EndpointID") and ep.get("IPAddress")
    ]
    for host in cl.hosts:
        calico.apply_policies(
            engines[host].host, calico.compile_policies(cl.policies, workloads, host), alias(pb.name)
        )
    return sum(1 for w in workloads if any(calico.selects(p.selector, w.labels) for p in cl.policies))


MODEL = Calico()
