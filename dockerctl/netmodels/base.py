"""The network model interface: what the lab lifecycle asks of a model (a built-in one, or one a test
plugs in) — its checks of this machine before anything is made, bringing it up after the hosts,
serving its driver again before a `down`, what it does once the containers run, and taking it down.

A model is one subclass in its folder (`netmodels/<name>/model.py`) and one line in the registry
(`spec/netmodels.py`); `models()` loads them from there, and the lifecycle, `net cnm`, `graph`,
`bench net` and `doctor` iterate over it and name no model. What every model does alike lives here: the
tools it needs on this machine, the one lab its plugin serves at a time, stopping its plugin, and finding
the containers on its networks.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dockerctl.engines.client import engine_call
from dockerctl.errors import Conflict, InvalidInput
from dockerctl.spec import netmodels as registry

if TYPE_CHECKING:  # a lab without a model asks `used_by` only: the plugins and etcd load when a model acts
    from docker.models.containers import Container

    from dockerctl.engines.engine import Engine
    from dockerctl.fabric.model_records import LabRecords
    from dockerctl.spec.playbook import Playbook
    from dockerctl.verify.netmodels import Detector

Progress = Callable[[str], None]


class NetworkModel:
    name = ""  # the model, and its playbook section
    driver = ""  # the network + IPAM driver dockerctl serves for it ("" when it has none)
    tools: tuple[str, ...] = ()  # programs it needs on this machine
    needs = ""  # the same, as the error says them ("etcd and iproute2's bridge")
    packages = ""  # the Debian packages that hold them
    uses_etcd = False  # its lab has an etcd (fabric/etcd.py) its plugin reads

    def section(self, pb: Playbook) -> Any:
        """The playbook's section for this model; None: the lab does not use it."""
        return pb.section(self.name)

    def preflight(self, pb: Playbook) -> None:
        """What would make the lab's model bad, refused before anything is made."""
        if self.section(pb) is None:
            return
        missing = [tool for tool in self.tools if shutil.which(tool) is None]
        if missing:
            raise InvalidInput(
                f"{self.name}'s model needs {self.needs} on this machine ({', '.join(missing)} not found)",
                where=pb.where(self.name),
                hint=f"scripts/setup installs them (Debian: {self.packages})",
            )
        from dockerctl.plugins import daemon

        rec = daemon.load(self.driver) if self.driver else None
        if rec is not None and rec.lab != pb.name and daemon.running_pid(rec) is not None:
            raise Conflict(
                f"the network driver {self.driver} is served for lab {rec.lab}: one lab's {self.name} at a time",
                where=pb.where(self.name),
                hint=f"`dockerctl down --lab {rec.lab}` first",
            )

    def lab_of(self, pb: Playbook) -> Any:
        """The model's record of the lab (fabric's), from the playbook; None: the lab does not use it."""
        raise NotImplementedError

    def summary(self, rec: Any) -> str:
        """What `up` says it brings up, after the model's name."""
        return f"the {self.driver} driver"

    def make(self, pb: Playbook, rec: Any) -> None:
        """What the model makes before its plugin serves (its etcd, daemons on the hosts, its record)."""
        raise NotImplementedError

    def up(self, pb: Playbook, progress: Progress | None = None) -> None:
        """The model across the lab's hosts, before its networks are made (idempotent)."""
        rec = self.lab_of(pb)
        if rec is None:
            return
        (progress or (lambda _m: None))(f"{self.name} {self.summary(rec)}")
        self.make(pb, rec)
        if self.driver:
            self.start_plugin(pb.name)

    records: LabRecords[Any] | None = None  # where its labs' records are kept (its fabric's RECORDS)
    detector: Detector | None = None  # how `doctor` finds it in a kernel (its verdicts')

    def recorded(self, lab: str) -> bool:
        """Whether the lab has this model (its record is on this machine)."""
        if self.records is None:
            raise NotImplementedError
        return self.records.load(lab) is not None

    def serve_again(self, lab: str) -> None:
        """Before a `down` removes the lab's networks: what the engines need to remove them answers
        (its etcd and its plugin)."""
        if not self.recorded(lab):
            return
        if self.uses_etcd:
            from dockerctl.fabric import etcd

            etcd.start(etcd.Etcd(lab))
        if self.driver:
            self.start_plugin(lab)

    def after_containers(self, pb: Playbook, engines: dict[str, Engine], say: Progress) -> None:
        """What the model does once the lab's containers run (nothing unless it says)."""

    def down(self, lab: str) -> bool:
        """Its plugin stopped (if it serves this lab), then what it made, then its etcd. → the lab had
        this model."""
        from dockerctl.fabric import etcd
        from dockerctl.plugins import daemon

        rec = daemon.load(self.driver) if self.driver else None
        if rec is not None and rec.lab == lab:
            daemon.stop(self.driver)
        try:
            had = self.recorded(lab)
            self.take_down(lab)
        finally:  # a record that cannot be read still lets its etcd go; the error names the file after
            if self.uses_etcd:
                etcd.stop(etcd.Etcd(lab))
        return had

    def take_down(self, lab: str) -> None:
        """What the model made for the lab besides its plugin and etcd, removed, and its record."""
        if self.records is None:
            raise NotImplementedError
        rec = self.records.load(lab)
        if rec is not None:
            self.stop(rec)
        self.records.forget(lab)

    def stop(self, rec: Any) -> None:
        """The daemons the model runs for the lab (besides its plugin and etcd), stopped."""

    # -- what `net cnm` reads of one of its networks on a host ----------------------------------------
    host_routes = False  # its routes to workloads are host routes (`ip -json route` gives them no /32)

    def bridge(self, network_id: str) -> str | None:
        """The host's bridge of one of its networks (None: it makes none)."""
        return None

    def carries(self, link: str) -> bool:
        """Whether a vxlan device of this name carries its networks between hosts."""
        return False

    def route_ranges(self, lab: str, subnets: list[str]) -> list[str] | None:
        """The ranges its routes between hosts live in (None: it routes nothing between hosts);
        subnets: the network's own, as the engine lists them."""
        return None

    def range_on(self, lab: str, host: str) -> str:
        """The range the lab gave the model on `host`, for `doctor` ("": none it needs to be told)."""
        return ""

    def start_plugin(self, lab: str) -> None:
        from dockerctl.plugins import daemon

        daemon.start_network(self.driver, lab, self.name)


def on_model_networks(
    pb: Playbook, engines: dict[str, Engine], driver: str
) -> Iterator[tuple[str, str, Container, dict[str, Any]]]:
    """Each playbook container on a network of `driver`: (name, host, the container as inspected now,
    its endpoint on the first such network)."""
    for name, c in pb.containers.items():
        nets = [n for n in c.networks if n in pb.networks and pb.networks[n].driver == driver]
        if not nets:
            continue
        host = pb.host_of(c)
        ctr = engine_call(engines[host].client.containers.get, f"{pb.name}-{name}", what=f"inspect {name}")
        settings = (ctr.attrs.get("NetworkSettings") or {}).get("Networks") or {}
        yield name, host, ctr, settings.get(f"{pb.name}-{nets[0]}") or {}


def models() -> dict[str, NetworkModel]:
    """Every registered model, by its driver (or its name when it serves none), in registry order:
    each loaded from its folder on first use."""
    found = (registry.get(name, "model", "MODEL") for name in registry.names())
    return {m.driver or m.name: m for m in found if m is not None}


def used_by(pb: Playbook) -> dict[str, NetworkModel]:
    """The models a playbook has a section for — its own (the model's name) or a key it owns beside it
    (calico's `policies`) — as `models()` gives them; the others are not even loaded: for a lab without
    one, a model's preflight, `up` and `after_containers` do nothing. A model without a section row (one
    a test registered) is always taken: nothing here can tell that it is unused."""
    used = []
    for name in registry.names():
        row = registry.get(name, "section", "SECTION")
        keys = [name] if row is None else [row.key, *(key for key, _, _ in row.named)]
        if row is None or any(pb.section(key) not in (None, {}) for key in keys):
            used.append(registry.get(name, "model", "MODEL"))
    return {m.driver or m.name: m for m in used if m is not None}
