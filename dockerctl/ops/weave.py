"""A lab's weave (seed X12): the network + IPAM driver every host's engine calls, and the resolver for
names across hosts, fed with the containers' addresses once they are up. Down after the networks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import Conflict, InvalidInput
from dockerctl.fabric import weave
from dockerctl.plugins import daemon
from dockerctl.spec.weave import DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook

Progress = Callable[[str], None]


def weave_of(pb: Playbook) -> weave.WeaveLab | None:
    if pb.weave is None:
        return None
    addresses = pb.lab_addresses()
    return weave.WeaveLab(pb.name, {h: addresses[h] for h in pb.weave_hosts()}, pb.weave.ip_range)


def preflight(pb: Playbook) -> None:
    if pb.weave is None:
        return
    missing = [tool for tool in ("dnsmasq", "bridge") if shutil.which(tool) is None]
    if missing:
        raise InvalidInput(
            f"weave's model needs dnsmasq and iproute2's bridge on this machine ({', '.join(missing)} not found)",
            where=pb.where("weave"),
            hint="scripts/setup installs them (Debian: dnsmasq-base iproute2)",
        )
    rec = daemon.load(DRIVER)
    if rec is not None and rec.lab != pb.name and daemon.running_pid(rec) is not None:
        raise Conflict(
            f"the network driver {DRIVER} is served for lab {rec.lab}: one lab's weave at a time",
            where=pb.where("weave"),
            hint=f"`dockerctl down --lab {rec.lab}` first",
        )


def weave_up(pb: Playbook, progress: Progress | None = None) -> None:
    wl = weave_of(pb)
    if wl is None:
        return
    (progress or (lambda _m: None))(
        f"weave ({wl.ip_range}) across {', '.join(wl.hosts)}: the {DRIVER} driver"
    )
    weave.save(wl)
    daemon.start_weave(pb.name)


def publish_names(pb: Playbook, engines: dict[str, Engine]) -> dict[str, str]:
    """Every container on a weave network, as NAME.weave.local, in the lab's resolver. → name → IP."""
    wl = weave_of(pb)
    if wl is None:
        return {}
    names = {}
    for name, c in pb.containers.items():
        nets = [n for n in c.networks if n in pb.networks and pb.networks[n].driver == DRIVER]
        if not nets:
            continue
        ctr = engine_call(
            engines[pb.host_of(c)].client.containers.get, f"{pb.name}-{name}", what=f"inspect {name}"
        )
        ep = ((ctr.attrs.get("NetworkSettings") or {}).get("Networks") or {}).get(
            f"{pb.name}-{nets[0]}"
        ) or {}
        if ep.get("IPAddress"):
            names[name] = ep["IPAddress"]
    weave.write_names(wl, names)
    weave.start_resolver(wl)
    return names


def serve_again(lab: str) -> None:
    if weave.load(lab) is not None:
        daemon.start_weave(lab)


def weave_down(lab: str) -> bool:
    wl = weave.load(lab)
    rec = daemon.load(DRIVER)
    if rec is not None and rec.lab == lab:
        daemon.stop(DRIVER)
    if wl is not None:
        weave.stop_resolver(wl)
    weave.forget(lab)
    return wl is not None
