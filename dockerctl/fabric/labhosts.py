"""A lab's hosts, up and down: the lab switch, each simulated host (its namespace on the switch and its
own dockerd), remote engines, and this one — each an Engine the lab's resources are applied through.

A record under the state directory (written before anything is made, removed after everything is
gone) says what the lab made, so `down` — and `hosts down` after a failure half-way or a killed
process — removes exactly that and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import DockerctlError, InvalidInput
from dockerctl.fabric import simhost
from dockerctl.fabric.host_kinds import Bringup, kind_of
from dockerctl.fabric.lab_host_records import HostRecord, LabHosts, all_records, forget, load, save
from dockerctl.fabric.switch import create_switch, delete_switch, overlapping, switch_for
from dockerctl.hosts import Host, LocalHost

Progress = Callable[[str], None]

# the records are part of this module's API (callers say labhosts.load, labhosts.HostRecord …)
__all__ = ["HostRecord", "LabHosts", "all_records", "forget", "load", "save"]


def find_host(name: str) -> tuple[LabHosts, HostRecord]:
    """The lab host called `name` (for `doctor --lab-host`), from the records of labs that are up."""
    found = [(rec, rec.hosts[name]) for rec in all_records() if name in rec.hosts]
    if not found:
        known = sorted({h for rec in all_records() for h in rec.hosts})
        raise InvalidInput(
            f"no lab host is called {name!r}; give one that `dockerctl hosts ls` lists"
            + (f"; hosts that are up: {', '.join(known)}" if known else "; no lab has hosts up"),
            where="--lab-host",
        )
    if len(found) > 1:
        raise InvalidInput(
            f"{name!r} is a host of several labs: {', '.join(r.lab for r, _ in found)}", where="--lab-host"
        )
    return found[0]


def kernel_of(h: HostRecord) -> Host:
    """Where a lab host's kernel is read: a simulated host's namespace, a VM or remote machine over ssh."""
    return kind_of(h.kind).kernel(h)


def is_this_machine(h: HostRecord) -> bool:
    """The host is this machine's own engine (kind local)."""
    return kind_of(h.kind).this_machine


def ssh_config_of(h: HostRecord) -> str | None:
    return kind_of(h.kind).ssh_config(h)


def connect_record(h: HostRecord, local: Engine | None = None) -> Engine:
    """The engine of a lab host, with its kernel where it is: the one way every command reaches one."""
    return kind_of(h.kind).connect(h, local)


def all_hosts(*, skip_local: bool = True) -> list[HostRecord]:
    """Every host of every lab that is up; skip_local: not those that are this machine's own engine."""
    return [h for rec in all_records() for h in rec.hosts.values() if not (skip_local and is_this_machine(h))]


def walk(
    hosts: Iterable[HostRecord],
    local: Engine | None = None,
    *,
    skip_silent: bool = True,
    why: dict[str, str] | None = None,
) -> list[tuple[HostRecord, Engine]]:
    """The one walk over lab hosts' engines: each host's engine, connected (a local host's through
    `local`, when given), and one that is not this machine's asked to answer. skip_silent: a host that
    does not answer is left out (and why, by its name, in `why`); otherwise its error is raised, after
    closing what was opened.

    Ownership, the same for every caller: what is returned is the caller's to close, with
    `close_engines(…, local)` (which leaves `local`'s own connection open)."""
    out: list[tuple[HostRecord, Engine]] = []
    for h in hosts:
        e = None
        try:
            e = connect_record(h, local)
            if not is_this_machine(h):
                engine_call(e.client.ping, what=f"reach host {h.name}")
        except DockerctlError as exc:
            if e is not None:
                close_engines([e], local)
            if skip_silent:
                if why is not None:
                    why[h.name] = exc.message
                continue
            close_engines([e for _, e in out], local)
            raise
        out.append((h, e))
    return out


def close_engines(engines: Iterable[Engine], local: Engine | None = None) -> None:
    """Close engines a walk gave, but not `local` (whose connection a local host's engine shares)."""
    for e in engines:
        if local is None or e.client is not local.client:
            e.close()


@contextmanager
def engines_of(names: list[str]) -> Iterator[list[Engine]]:
    """The engines of the lab hosts named (`--lab-host NAME`), each with its kernel, closed afterwards."""
    opened = [e for _, e in walk([find_host(name)[1] for name in names], skip_silent=False)]
    try:
        yield opened
    finally:
        close_engines(opened)


def sim_engine(rec: HostRecord) -> simhost.SimEngine:
    return simhost.SimEngine(rec.name, rec.bip)


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
        bringup = Bringup(lab, rec, local, machine, addresses, images, say, remotes)
        for index, (name, h) in enumerate(hosts.items()):
            engines[name] = kind_of(h.kind).up(bringup, index, name, h)
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
        kind_of(h.kind).preflight(lab, name, h, machine, where)
    if subnet is not None:
        switch = switch_for(lab, subnet)
        clash = overlapping(machine, subnet, switch.bridge)
        if clash:
            raise InvalidInput(
                f"the lab switch subnet {subnet} overlaps {', '.join(clash)}: give switch.subnet another range "
                "inside 198.18.0.0/15",
                where=where("switch.subnet"),
            )
    ahead: dict[str, Engine] = {}
    try:
        for name, h in hosts.items():
            eng = kind_of(h.kind).connect_ahead(name, h, where, say)
            if eng is not None:
                ahead[name] = eng
    except BaseException:
        for e in ahead.values():
            e.close()
        raise
    return ahead


def hosts_down(lab: str, *, machine: Host | None = None, purge: bool = True) -> list[str]:
    """Stop and remove what the lab's record says it made. → the hosts removed."""
    machine = machine or LocalHost()
    rec = load(lab)
    if rec is None:
        return []
    removed = []
    for name, h in rec.hosts.items():
        if kind_of(h.kind).down(lab, name, h, machine, purge=purge):
            removed.append(name)
    if rec.switch is not None:
        delete_switch(machine, rec.switch)
    forget(lab)
    return removed
