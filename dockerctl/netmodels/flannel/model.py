"""A lab's flannel (seed X11): its etcd with flannel's config, and the network + IPAM driver every host's
engine calls — checked before anything is made, up after the hosts and before the networks, down after
the networks (whose removal releases the leases) and before the hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockerctl.errors import Conflict
from dockerctl.fabric import etcd
from dockerctl.netmodels.base import NetworkModel
from dockerctl.netmodels.flannel import fabric as flannel
from dockerctl.netmodels.flannel import verdicts
from dockerctl.netmodels.flannel.driver import bridge_name
from dockerctl.netmodels.flannel.section import DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook


class Flannel(NetworkModel):
    name, driver, uses_etcd, records, detector = "flannel", DRIVER, True, flannel.RECORDS, verdicts.DETECTOR
    tools, needs, packages = ("etcd", "bridge"), "etcd and iproute2's bridge", "etcd-server iproute2"

    def lab_of(self, pb: Playbook) -> flannel.FlannelLab | None:
        if pb.section("flannel") is None:
            return None
        addresses = pb.lab_addresses()
        f = pb.section("flannel")
        return flannel.FlannelLab(
            pb.name,
            {h: addresses[h] for h in pb.model_hosts("flannel")},
            flannel.Config(f.network, f.backend, f.subnet_len),
            f.lease_ttl,
        )

    def summary(self, rec: flannel.FlannelLab) -> str:
        return f"({rec.config.backend}, {rec.config.network}): etcd and the {DRIVER} driver"

    def make(self, pb: Playbook, rec: flannel.FlannelLab) -> None:
        """etcd up with flannel's config (the same config again is fine; another one is refused) and
        the record the plugin reads."""
        store = etcd.start(etcd.Etcd(pb.name))
        if not store.put_if_absent(flannel.CONFIG_KEY, rec.config.to_json()):
            have = flannel.Config.from_json(store.get(flannel.CONFIG_KEY) or "{}")
            if have != rec.config:
                raise Conflict(
                    f"lab {pb.name}'s etcd holds another flannel config ({have.network}, {have.backend}, "
                    f"/{have.subnet_len}): leases were taken from it",
                    where=pb.where("flannel"),
                    hint=f"`dockerctl down --lab {pb.name}` first, then play the new config",
                )
        flannel.save(rec)

    def bridge(self, network_id: str) -> str | None:
        return bridge_name(network_id)

    def carries(self, link: str) -> bool:
        return link.startswith("flannel.")  # flannel.<VNI>

    def range_on(self, lab: str, host: str) -> str:
        """host-gw makes no device: doctor tells it apart by routes into the lab's flannel network."""
        fl = flannel.load(lab)
        return fl.config.network if fl is not None and host in fl.hosts else ""

    def route_ranges(self, lab: str, subnets: list[str]) -> list[str] | None:
        """The routes to the other hosts' leases: the whole flannel network (the engine knows only
        its host's lease)."""
        fl = flannel.load(lab)
        return [fl.config.network] if fl is not None else subnets


MODEL = Flannel()
