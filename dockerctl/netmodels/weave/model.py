"""A lab's weave (seed X12): the network + IPAM driver every host's engine calls, and the resolver for
names across hosts, fed with the containers' addresses once they are up. Down after the networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockerctl.engines.engine import Engine
from dockerctl.netmodels.base import NetworkModel, Progress, on_model_networks
from dockerctl.netmodels.weave import fabric as weave
from dockerctl.netmodels.weave import verdicts
from dockerctl.netmodels.weave.section import DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook


class Weave(NetworkModel):
    name, driver, records, detector = "weave", DRIVER, weave.RECORDS, verdicts.DETECTOR
    tools, needs, packages = ("dnsmasq", "bridge"), "dnsmasq and iproute2's bridge", "dnsmasq-base iproute2"

    def lab_of(self, pb: Playbook) -> weave.WeaveLab | None:
        if pb.section("weave") is None:
            return None
        addresses = pb.lab_addresses()
        hosts = {h: addresses[h] for h in pb.model_hosts("weave")}
        return weave.WeaveLab(pb.name, hosts, pb.section("weave").ip_range)

    def summary(self, rec: weave.WeaveLab) -> str:
        return f"({rec.ip_range}) across {', '.join(rec.hosts)}: the {DRIVER} driver"

    def make(self, pb: Playbook, rec: weave.WeaveLab) -> None:
        weave.save(rec)

    def after_containers(self, pb: Playbook, engines: dict[str, Engine], say: Progress) -> None:
        if pb.section("weave") is not None:
            say("weave.local names")
            publish_names(pb, engines)

    def stop(self, rec: weave.WeaveLab) -> None:
        weave.stop_resolver(rec)

    def bridge(self, network_id: str) -> str | None:
        return weave.BRIDGE  # one per host, for every weave network

    def carries(self, link: str) -> bool:
        return link == weave.VXLAN


def publish_names(pb: Playbook, engines: dict[str, Engine]) -> dict[str, str]:
    """Every container on a weave network, as NAME.weave.local, in the lab's resolver. → name → IP."""
    wl = MODEL.lab_of(pb)
    if wl is None:
        return {}
    names = {
        name: ep["IPAddress"]
        for name, _, _, ep in on_model_networks(pb, engines, DRIVER)
        if ep.get("IPAddress")
    }
    weave.write_names(wl, names)
    weave.start_resolver(wl)
    return names


MODEL = Weave()
