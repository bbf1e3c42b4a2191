"""A lab's hosts, up and down: the lab switch, each simulated host (its namespace on the switch and its
own dockerd), remote engines, and this one — each an Engine the lab's resources are applied through.

A record under the state directory (written before anything is made, removed after everything is
gone) says what the lab made, so `down` — and `hosts down` after a failure half-way or a killed
process — removes exactly that and nothing else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.engines.engine import Engine, connect_engine
from dockerctl.engines.transfer import ship_image
from dockerctl.errors import Conflict, DockerctlError, EngineUnavailable, InvalidInput
from dockerctl.fabric import simhost
from dockerctl.fabric.netns import create_namespace, delete_namespace, record_of
from dockerctl.fabric.switch import Switch, create_switch, delete_switch, overlapping, switch_for
from dockerctl.hosts import Host, LocalHost

Progress = Callable[[str], None]


@dataclass
class HostRecord:
    name: str
    kind: str  # local | simulated | remote | vm
    url: str  # the engine's URL
    address: str = ""  # on the lab switch (simulated, vm on the switch; the machine's own for local)
    bip: str = ""  # simulated: its docker0


@dataclass
class LabHosts:
    lab: str
    subnet: str = ""
    hosts: dict[str, HostRecord] = field(default_factory=dict)

    @property
    def switch(self) -> Switch | None:
        return switch_for(self.lab, self.subnet) if self.subnet else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "subnet": self.subnet,
            "hosts": {n: asdict(h) for n, h in self.hosts.items()},
        }


def _dir() -> Path:
    return Path(os.environ.get("DOCKERCTL_STATE_DIR", "/var/lib/dockerctl-state")) / "labhosts"


def save(rec: LabHosts) -> None:
    _dir().mkdir(parents=True, exist_ok=True)
    tmp = _dir() / f".{rec.lab}.json.tmp"
    tmp.write_text(json.dumps(rec.to_dict(), sort_keys=True))
    tmp.replace(_dir() / f"{rec.lab}.json")


def load(lab: str) -> LabHosts | None:
    try:
        data = json.loads((_dir() / f"{lab}.json").read_text())
        return LabHosts(
            data["lab"], data.get("subnet", ""), {n: HostRecord(**h) for n, h in data["hosts"].items()}
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def all_records() -> list[LabHosts]:
    out = []
    for path in sorted(_dir().glob("*.json")) if _dir().is_dir() else []:
        rec = load(path.stem)
        if rec is not None:
            out.append(rec)
    return out


def find_host(name: str) -> tuple[LabHosts, HostRecord]:
    """The lab host called `name` (for `doctor --host`), from the records of labs that are up."""
    found = [(rec, rec.hosts[name]) for rec in all_records() if name in rec.hosts]
    if not found:
        known = sorted({h for rec in all_records() for h in rec.hosts})
        raise InvalidInput(
            f"no lab host is called {name!r}; give one that `dockerctl hosts ls` lists"
            + (f"; hosts that are up: {', '.join(known)}" if known else "; no lab has hosts up"),
            where="--host",
        )
    if len(found) > 1:
        raise InvalidInput(
            f"{name!r} is a host of several labs: {', '.join(r.lab for r, _ in found)}", where="--host"
        )
    return found[0]


def kernel_of(h: HostRecord) -> Host:
    """Where a lab host's kernel is read: a simulated host's namespace, a VM or remote machine over ssh."""
    from dockerctl.engines.engine import host_for
    from dockerctl.hosts import NetnsHost

    if h.kind == "simulated":
        return NetnsHost(h.name)
    if h.kind == "local":
        return LocalHost()
    return host_for(h.url, ssh_config=ssh_config_of(h))


def ssh_config_of(h: HostRecord) -> str | None:
    if h.kind == "vm":
        from dockerctl.fabric import vm

        return str(vm.ssh_config())
    return None


def connect_record(h: HostRecord, local: Engine | None = None) -> Engine:
    """The engine of a lab host, with its kernel where it is: the one way every command reaches one."""
    if h.kind == "local" and local is not None:
        return Engine(h.name, local.client, local.host, local.url)
    e = connect_engine(h.url, name=h.name, ssh_config=ssh_config_of(h))
    if h.kind in ("simulated", "local"):
        e.host.close()
        e.host = kernel_of(h)
    return e


def lab_host_engines(*, skip_local: bool = True) -> list[tuple[LabHosts, HostRecord, Engine]]:
    """Every lab host that is up and answers, connected (the caller closes them)."""
    out = []
    for rec in all_records():
        for h in rec.hosts.values():
            if skip_local and h.kind == "local":
                continue
            try:
                out.append((rec, h, connect_record(h)))
            except DockerctlError:
                continue
    return out


def sim_engine(rec: HostRecord) -> simhost.SimEngine:
    return simhost.SimEngine(rec.name, rec.bip)


def _bip(index: int) -> str:
    return f"172.{20 + index}.0.1/24"  # each simulated host its own docker0 range (no clash when routed)


def hosts_up(
    lab: str,
    hosts: dict[str, Any],  # name → HostEntry (spec)
    switch_subnet: str,
    addresses: dict[str, str],  # simulated host → its CIDR on the switch
    local: Engine,
    *,
    images: list[str],
    where: Callable[[str], str],
    progress: Progress | None = None,
) -> dict[str, Engine]:
    """Bring every host up (idempotent), shipping `images` from the local engine. → name → Engine.

    Everything that can make the hosts bad is checked before anything is made: a simulated host's name
    taken by another namespace, a switch subnet overlapping an address here, a remote engine that does
    not answer — each an error at the playbook's FILE:LINE, with nothing changed."""
    say = progress or (lambda _msg: None)
    machine = LocalHost()
    rec = load(lab) or LabHosts(lab)
    engines: dict[str, Engine] = {}
    remotes = _preflight(lab, hosts, switch_subnet if addresses else None, machine, where, say)
    try:
        if addresses:  # some host has a port on the switch
            rec.subnet = switch_subnet
            save(rec)  # before anything is made: a failure half-way is still removed by `down`
            switch = switch_for(lab, switch_subnet)
            say(f"lab switch {switch.bridge} ({switch_subnet})")
            create_switch(machine, switch)
        for index, (name, h) in enumerate(hosts.items()):
            if h.kind == "local":
                address = rec.subnet and switch_for(lab, rec.subnet).gateway.split("/")[0]
                rec.hosts[name] = HostRecord(name, "local", local.url, address or "")
                engines[name] = Engine(name, local.client, local.host, local.url)
            elif h.kind == "remote":
                rec.hosts[name] = HostRecord(name, "remote", str(h.url))
                engines[name] = remotes.pop(name)
            elif h.kind == "vm":
                from dockerctl.fabric import vm

                machine_vm = vm.Vm(name)
                rec.hosts[name] = HostRecord(name, "vm", f"ssh://root@{machine_vm.alias}")
                save(rec)  # before the VM is booted: `down` stops it even if this run is killed
                port = (
                    vm.SwitchPort(switch_for(lab, rec.subnet).bridge, addresses[name], lab)
                    if name in addresses
                    else None
                )
                vm.start(machine_vm, memory_mb=h.memory or 2048, cpus=h.cpus or 2, port=port, progress=say)
                lab_address = addresses[name].split("/")[0] if name in addresses else ""
                # its forwarded port, now known
                rec.hosts[name] = HostRecord(name, "vm", machine_vm.url, lab_address)
                save(rec)
                eng = connect_record(rec.hosts[name])
                engines[name] = eng
                for image in images:
                    say(f"shipping {image} to {name}")
                    ship_image(local.client, eng.client, image)
            else:
                say(f"simulated host {name}: namespace and engine")
                sim = simhost.SimEngine(name, _bip(index))
                rec.hosts[name] = HostRecord(
                    name, "simulated", sim.url, addresses[name].split("/")[0], sim.bip
                )
                save(rec)
                ns = record_of(name)
                if ns is None or not machine.exists(f"/var/run/netns/{name}"):
                    ns = create_namespace(
                        name, lab=lab, ns_addr=addresses[name], bridge=switch_for(lab, rec.subnet).bridge
                    )
                simhost.start(sim, ns)
                eng = connect_engine(sim.url, name=name)
                engines[name] = Engine(name, eng.client, ns.host, sim.url)
                for image in images:
                    say(f"shipping {image} to {name}")
                    ship_image(local.client, eng.client, image)
        save(rec)
    except BaseException:
        for eng in [*engines.values(), *remotes.values()]:
            if eng.client is not local.client:
                eng.close()
        raise
    return engines


def _preflight(
    lab: str,
    hosts: dict[str, Any],
    subnet: str | None,  # the switch's, when the lab has one
    machine: Host,
    where: Callable[[str], str],
    say: Progress,
) -> dict[str, Engine]:
    """Refuse what would make the hosts bad, before anything is made. → the remote engines, connected."""
    for name, h in hosts.items():
        if h.kind == "simulated" and machine.exists(f"/var/run/netns/{name}"):
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
    for name, h in hosts.items():
        if h.kind != "vm":
            continue
        import shutil

        missing = [t for t in ("qemu-system-x86_64", "debootstrap", "ssh-keygen") if shutil.which(t) is None]
        if missing:
            raise InvalidInput(
                f"a VM host needs {', '.join(missing)} on this machine",
                where=where(f"hosts.{name}"),
                hint="scripts/setup installs them (Debian: qemu-system-x86 debootstrap openssh-client)",
            )
    if subnet is not None:
        switch = switch_for(lab, subnet)
        clash = overlapping(machine, subnet, switch.bridge)
        if clash:
            raise InvalidInput(
                f"the lab switch subnet {subnet} overlaps {', '.join(clash)}: give switch.subnet another range "
                "inside 198.18.0.0/15",
                where=where("switch.subnet"),
            )
    remotes: dict[str, Engine] = {}
    for name, h in hosts.items():
        if h.kind != "remote":
            continue
        say(f"connecting to remote host {name}")
        try:
            eng = connect_engine(h.url, name=name)
        except DockerctlError as exc:
            for e in remotes.values():
                e.close()
            raise EngineUnavailable(
                f"remote host {name} ({h.url}) does not answer: {exc.message}", where=where(f"hosts.{name}")
            ) from None
        remotes[name] = eng
    return remotes


def hosts_down(lab: str, *, machine: Host | None = None, purge: bool = True) -> list[str]:
    """Stop and remove what the lab's record says it made. → the hosts removed."""
    machine = machine or LocalHost()
    rec = load(lab)
    if rec is None:
        return []
    removed = []
    for name, h in rec.hosts.items():
        if h.kind == "vm":
            from dockerctl.fabric import vm

            vm.stop(vm.Vm(name))
            removed.append(name)
        if h.kind != "simulated":
            continue
        sim = sim_engine(h)
        simhost.stop(sim)
        if purge:
            simhost.purge(sim)
        ns = record_of(name)
        if ns is not None and ns.lab == lab:
            delete_namespace(name, machine=machine)
        removed.append(name)
    if rec.switch is not None:
        delete_switch(machine, rec.switch)
    (_dir() / f"{lab}.json").unlink(missing_ok=True)
    return removed


def as_lab_host(engine: Engine) -> Engine:
    """An engine reached at a lab host's URL (e.g. -H unix:///run/dctl-h1.sock) is that host: its name,
    and its kernel read in its own namespace (commands like `ip` run there, not in this machine's)."""
    for rec in all_records():
        for h in rec.hosts.values():
            if h.kind != "local" and h.url == engine.url:
                engine.host.close()
                engine.host = kernel_of(h)
                engine.name = h.name
                return engine
    return engine
