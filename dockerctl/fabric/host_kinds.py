"""How each kind of lab host is made, reached, read and torn down — one class per kind, looked up by the
kind's name (what a playbook may say of a kind is spec/host_kinds.py). fabric/labhosts.py walks a lab's
hosts and asks each one's kind; nothing else compares kind names.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dockerctl.engines.engine import Engine, connect_engine
from dockerctl.engines.transfer import ship_image
from dockerctl.errors import Conflict, DockerctlError, EngineUnavailable, InvalidInput
from dockerctl.fabric import simhost
from dockerctl.fabric.lab_host_records import HostRecord, LabHosts, save
from dockerctl.fabric.netns import create_namespace, delete_namespace, record_of
from dockerctl.fabric.switch import switch_for
from dockerctl.hosts import Host, LocalHost
from dockerctl.hosts.paths import NETNS_DIR

Progress = Callable[[str], None]


@dataclass
class Bringup:
    """What bringing one lab's hosts up shares: the record being written, this engine, the switch
    addresses, the images every new engine gets, the remote engines connected by the preflight."""

    lab: str
    rec: LabHosts
    local: Engine
    machine: Host
    addresses: dict[str, str]  # host → its CIDR on the switch
    images: list[str]
    say: Progress
    remotes: dict[str, Engine] = field(default_factory=dict)

    def ship(self, name: str, eng: Engine) -> None:
        for image in self.images:
            self.say(f"shipping {image} to {name}")
            ship_image(self.local.client, eng.client, image)


class FabricKind:
    """A kind of lab host. The defaults are a machine reached at its URL (over ssh when it is ssh://)."""

    name: ClassVar[str]
    this_machine: ClassVar[bool] = False

    def kernel(self, h: HostRecord) -> Host:
        """Where the host's kernel is read."""
        from dockerctl.engines.engine import host_for

        return host_for(h.url, ssh_config=self.ssh_config(h))

    def ssh_config(self, h: HostRecord) -> str | None:
        return None

    def connect(self, h: HostRecord, local: Engine | None = None) -> Engine:
        """Its engine, with its kernel where it is."""
        return connect_engine(h.url, name=h.name, ssh_config=self.ssh_config(h))

    def preflight(self, lab: str, name: str, entry: Any, machine: Host, where: Callable[[str], str]) -> None:
        """Refuse what would make this host bad, before anything of the lab is made."""

    def connect_ahead(
        self, name: str, entry: Any, where: Callable[[str], str], say: Progress
    ) -> Engine | None:
        """An engine that must answer before anything is made (a remote one), connected; else None."""
        return None

    def up(self, b: Bringup, index: int, name: str, entry: Any) -> Engine:
        raise NotImplementedError

    def down(self, lab: str, name: str, h: HostRecord, machine: Host, *, purge: bool) -> bool:
        """Stop and remove what the lab made of this host; → whether there was anything."""
        return False


class Local(FabricKind):
    name = "local"
    this_machine = True

    def kernel(self, h: HostRecord) -> Host:
        return LocalHost()

    def connect(self, h: HostRecord, local: Engine | None = None) -> Engine:
        if local is not None:
            return Engine(h.name, local.client, local.host, local.url)
        e = connect_engine(h.url, name=h.name)
        e.host.close()
        e.host = self.kernel(h)
        return e

    def up(self, b: Bringup, index: int, name: str, entry: Any) -> Engine:
        address = b.rec.subnet and switch_for(b.lab, b.rec.subnet).gateway.split("/")[0]
        b.rec.hosts[name] = HostRecord(name, self.name, b.local.url, address or "")
        return Engine(name, b.local.client, b.local.host, b.local.url)


class Simulated(FabricKind):
    name = "simulated"

    def kernel(self, h: HostRecord) -> Host:
        from dockerctl.hosts import NetnsHost

        return NetnsHost(h.name)

    def connect(self, h: HostRecord, local: Engine | None = None) -> Engine:
        e = connect_engine(h.url, name=h.name)
        e.host.close()
        e.host = self.kernel(h)
        return e

    def preflight(self, lab: str, name: str, entry: Any, machine: Host, where: Callable[[str], str]) -> None:
        if not machine.exists(f"{NETNS_DIR}/{name}"):
            return
        owner = record_of(name)
        if owner is None:
            raise Conflict(
                f"a network namespace named {name!r} exists and was not made by dockerctl: it is left "
                "alone; give the simulated host another name",
                where=where(f"hosts.{name}"),
            )
        if owner.lab != lab:
            raise Conflict(
                f"host {name!r} is in use by lab {owner.lab}: give this one another name",
                where=where(f"hosts.{name}"),
            )

    def up(self, b: Bringup, index: int, name: str, entry: Any) -> Engine:
        b.say(f"simulated host {name}: namespace and engine")
        sim = simhost.SimEngine(
            name, f"172.{20 + index}.0.1/24"
        )  # its own docker0 range: no clash when routed
        b.rec.hosts[name] = HostRecord(name, self.name, sim.url, b.addresses[name].split("/")[0], sim.bip)
        save(b.rec)
        ns = record_of(name)
        if ns is None or not b.machine.exists(f"{NETNS_DIR}/{name}"):
            ns = create_namespace(
                name, lab=b.lab, ns_addr=b.addresses[name], bridge=switch_for(b.lab, b.rec.subnet).bridge
            )
        simhost.start(sim, ns)
        eng = connect_engine(sim.url, name=name)
        b.ship(name, eng)
        return Engine(name, eng.client, ns.host, sim.url)

    def down(self, lab: str, name: str, h: HostRecord, machine: Host, *, purge: bool) -> bool:
        sim = simhost.SimEngine(h.name, h.bip)
        simhost.stop(sim)
        if purge:
            simhost.purge(sim)
        ns = record_of(name)
        if ns is not None and ns.lab == lab:
            delete_namespace(name, machine=machine)
        return True


class Remote(FabricKind):
    name = "remote"

    def connect_ahead(
        self, name: str, entry: Any, where: Callable[[str], str], say: Progress
    ) -> Engine | None:
        say(f"connecting to remote host {name}")
        try:
            return connect_engine(entry.url, name=name)
        except DockerctlError as exc:
            raise EngineUnavailable(
                f"remote host {name} ({entry.url}) does not answer: {exc.message}",
                where=where(f"hosts.{name}"),
            ) from None

    def up(self, b: Bringup, index: int, name: str, entry: Any) -> Engine:
        b.rec.hosts[name] = HostRecord(name, self.name, str(entry.url))
        return b.remotes.pop(name)


class Vm(FabricKind):
    name = "vm"

    def ssh_config(self, h: HostRecord) -> str | None:
        from dockerctl.fabric import vm

        return str(vm.ssh_config())

    def preflight(self, lab: str, name: str, entry: Any, machine: Host, where: Callable[[str], str]) -> None:
        missing = [t for t in ("qemu-system-x86_64", "debootstrap", "ssh-keygen") if shutil.which(t) is None]
        if missing:
            raise InvalidInput(
                f"a VM host needs {', '.join(missing)} on this machine",
                where=where(f"hosts.{name}"),
                hint="scripts/setup installs them (Debian: qemu-system-x86 debootstrap openssh-client)",
            )

    def up(self, b: Bringup, index: int, name: str, entry: Any) -> Engine:
        from dockerctl.fabric import vm

        machine_vm = vm.Vm(name)
        b.rec.hosts[name] = HostRecord(name, self.name, f"ssh://root@{machine_vm.alias}")
        save(b.rec)  # before the VM is booted: `down` stops it even if this run is killed
        on_switch = name in b.addresses
        port = (
            vm.SwitchPort(switch_for(b.lab, b.rec.subnet).bridge, b.addresses[name], b.lab)
            if on_switch
            else None
        )
        vm.start(machine_vm, memory_mb=entry.memory or 2048, cpus=entry.cpus or 2, port=port, progress=b.say)
        lab_address = b.addresses[name].split("/")[0] if on_switch else ""
        b.rec.hosts[name] = HostRecord(
            name, self.name, machine_vm.url, lab_address
        )  # its forwarded port, now known
        save(b.rec)
        eng = self.connect(b.rec.hosts[name])
        b.ship(name, eng)
        return eng

    def down(self, lab: str, name: str, h: HostRecord, machine: Host, *, purge: bool) -> bool:
        from dockerctl.fabric import vm

        vm.stop(vm.Vm(name))
        return True


KINDS: dict[str, FabricKind] = {k.name: k for k in (Local(), Simulated(), Remote(), Vm())}


def kind_of(name: str) -> FabricKind:
    return KINDS[name]
