"""A lab's flannel (seed X11): its etcd with flannel's config, and the network + IPAM driver every host's
engine calls — checked before anything is made, up after the hosts and before the networks, down after
the networks (whose removal releases the leases) and before the hosts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from dockerctl.errors import Conflict, InvalidInput
from dockerctl.fabric import etcd, flannel
from dockerctl.plugins import daemon
from dockerctl.spec.flannel import DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook

Progress = Callable[[str], None]


def flannel_of(pb: Playbook) -> flannel.FlannelLab | None:
    if pb.flannel is None:
        return None
    addresses = pb.lab_addresses()
    f = pb.flannel
    return flannel.FlannelLab(
        pb.name,
        {h: addresses[h] for h in pb.flannel_hosts()},
        flannel.Config(f.network, f.backend, f.subnet_len),
        f.lease_ttl,
    )


def preflight(pb: Playbook) -> None:
    """What would make the lab's flannel bad, refused before anything is made."""
    if pb.flannel is None:
        return
    missing = [tool for tool in ("etcd", "bridge") if shutil.which(tool) is None]
    if missing:
        raise InvalidInput(
            f"flannel's model needs etcd and iproute2's bridge on this machine ({', '.join(missing)} not found)",
            where=pb.where("flannel"),
            hint="scripts/setup installs them (Debian: etcd-server iproute2)",
        )
    rec = daemon.load(DRIVER)
    if rec is not None and rec.lab != pb.name and daemon.running_pid(rec) is not None:
        raise Conflict(
            f"the network driver {DRIVER} is served for lab {rec.lab}: one lab's flannel at a time",
            where=pb.where("flannel"),
            hint=f"`dockerctl down --lab {rec.lab}` first",
        )


def flannel_up(pb: Playbook, progress: Progress | None = None) -> None:
    """etcd up with flannel's config (the same config again is fine; another one is refused), the
    record the plugin reads, and the plugin (idempotent)."""
    fl = flannel_of(pb)
    if fl is None:
        return
    say = progress or (lambda _m: None)
    say(f"flannel ({fl.config.backend}, {fl.config.network}): etcd and the {DRIVER} driver")
    store = etcd.start(etcd.Etcd(pb.name))
    if not store.put_if_absent(flannel.CONFIG_KEY, fl.config.to_json()):
        have = flannel.Config.from_json(store.get(flannel.CONFIG_KEY) or "{}")
        if have != fl.config:
            raise Conflict(
                f"lab {pb.name}'s etcd holds another flannel config ({have.network}, {have.backend}, "
                f"/{have.subnet_len}): leases were taken from it",
                where=pb.where("flannel"),
                hint=f"`dockerctl down --lab {pb.name}` first, then play the new config",
            )
    flannel.save(fl)
    daemon.start_flannel(pb.name)


def serve_again(lab: str) -> None:
    """Before a `down` removes networks: etcd and the driver answer (else the engine cannot remove them)."""
    if flannel.load(lab) is None:
        return
    etcd.start(etcd.Etcd(lab))
    daemon.start_flannel(lab)


def flannel_down(lab: str) -> bool:
    """The driver stopped, etcd stopped and its data removed, the record gone. → the lab had flannel."""
    had = flannel.load(lab) is not None
    rec = daemon.load(DRIVER)
    if rec is not None and rec.lab == lab:
        daemon.stop(DRIVER)
    etcd.stop(etcd.Etcd(lab))
    flannel.forget(lab)
    return had
