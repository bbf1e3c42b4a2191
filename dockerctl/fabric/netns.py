"""Network namespaces dockerctl makes on a host — a simulated host's, or a test's — each joined to the
machine by a veth pair with lab addresses (198.18.0.0/15).

Ownership: a namespace is dockerctl's only when its record exists under the state directory (made
before the namespace, removed after it); a namespace of that name without a record is someone
else's and is never touched. The host end of the veth carries the alias `dockerctl-lab=<lab>`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass

from dockerctl.errors import Conflict, EngineError, InvalidInput
from dockerctl.fabric.hostlinks import alias
from dockerctl.hosts import Host, LocalHost, NetnsHost, state
from dockerctl.hosts.paths import NETNS_DIR
from dockerctl.hosts.records import CorruptRecord

LAB_RANGE = ipaddress.ip_network("198.18.0.0/15")


@dataclass(frozen=True)
class Namespace:
    name: str
    lab: str
    host_if: str  # the veth end on the machine
    ns_if: str  # the veth end inside the namespace (renamed eth0 there)
    host_addr: str | None  # CIDR, the machine's side (None: its end hangs on a bridge instead)
    ns_addr: str  # CIDR, the namespace's side
    bridge: str | None = None  # the lab switch the machine's end is attached to

    @property
    def host(self) -> NetnsHost:
        return NetnsHost(self.name)

    @property
    def address(self) -> str:
        return self.ns_addr.split("/")[0]


RECORDS: state.Records[Namespace] = state.Records(
    "network namespace record", state.NETNS, lambda d: Namespace(**d), asdict, lab="field"
)


def record_of(name: str) -> Namespace | None:
    """dockerctl's record of the namespace (None: it has none — or one that cannot be read, which does
    not make the namespace dockerctl's)."""
    try:
        return RECORDS.load(name)
    except CorruptRecord:
        return None


def _ip(host: Host, *args: str) -> str:
    done = host.run(["ip", *args])
    if not done.ok:
        raise EngineError(f"`ip {' '.join(args)}` failed on {host.name}: {done.stderr.strip()}")
    return done.stdout


def check_lab_address(cidr: str, where: str) -> ipaddress.IPv4Interface:
    try:
        iface = ipaddress.IPv4Interface(cidr)
    except ValueError:
        raise InvalidInput(
            f"{cidr!r} is not an IPv4 address with a prefix, e.g. 198.18.5.1/30", where=where
        ) from None
    if iface.ip not in LAB_RANGE:
        raise InvalidInput(
            f"{cidr} is outside the lab range {LAB_RANGE}: lab traffic stays on this machine", where=where
        )
    return iface


def create_namespace(
    name: str,
    *,
    lab: str,
    ns_addr: str,
    host_addr: str | None = None,
    bridge: str | None = None,
    machine: Host | None = None,
) -> Namespace:
    """A namespace with lo up and a veth pair to the machine: its end carries `host_addr`, or hangs on
    `bridge` (a lab switch); the namespace's end is eth0 with `ns_addr`."""
    machine = machine or LocalHost()
    if (host_addr is None) == (bridge is None):
        raise InvalidInput("give the machine's end an address or a bridge (one of them)", where="namespace")
    if host_addr is not None:
        check_lab_address(host_addr, "host address")
    check_lab_address(ns_addr, "namespace address")
    if len(name) > 10 or not name.replace("-", "").isalnum():
        raise InvalidInput(f"namespace name {name!r}: at most 10 letters, digits or '-'", where="name")
    if machine.exists(f"{NETNS_DIR}/{name}"):
        owner = record_of(name)
        if owner is None:
            raise Conflict(
                f"a network namespace named {name!r} exists and was not made by dockerctl: it is left "
                "alone; give the host another name",
                where=f"hosts.{name}",
            )
        if owner.lab != lab:
            raise Conflict(
                f"host {name!r} is in use by lab {owner.lab}: give this one another name",
                where=f"hosts.{name}",
            )
    ns = Namespace(name, lab, f"dh-{name}", f"dn-{name}", host_addr, ns_addr, bridge)
    RECORDS.save(name, ns)
    try:
        if not machine.exists(f"{NETNS_DIR}/{name}"):
            _ip(machine, "netns", "add", name)
        if not machine.exists(f"/sys/class/net/{ns.host_if}"):
            _ip(machine, "link", "add", ns.host_if, "type", "veth", "peer", "name", ns.ns_if)
            _ip(machine, "link", "set", ns.host_if, "alias", alias(lab))
            if host_addr is not None:
                _ip(machine, "addr", "add", host_addr, "dev", ns.host_if)
            else:
                _ip(machine, "link", "set", ns.host_if, "master", str(bridge))
            _ip(machine, "link", "set", ns.host_if, "up")
            _ip(machine, "link", "set", ns.ns_if, "netns", name)
            inside = ns.host
            _ip(inside, "link", "set", ns.ns_if, "name", "eth0")
            _ip(inside, "addr", "add", ns_addr, "dev", "eth0")
            _ip(inside, "link", "set", "eth0", "up")
            _ip(inside, "link", "set", "lo", "up")
    except BaseException:
        delete_namespace(name, machine=machine)
        raise
    return ns


def delete_namespace(name: str, *, machine: Host | None = None) -> bool:
    """Remove a namespace dockerctl made (and its veth pair); another's is refused. → whether it was there."""
    machine = machine or LocalHost()
    ns = record_of(name)
    if ns is None:
        if machine.exists(f"{NETNS_DIR}/{name}"):
            raise Conflict(f"network namespace {name!r} was not made by dockerctl: it is left alone")
        return False
    existed = machine.exists(f"{NETNS_DIR}/{name}")
    if existed:
        machine.run(["ip", "netns", "del", name])  # takes the inner veth end, and with it the pair
    if machine.exists(f"/sys/class/net/{ns.host_if}"):
        machine.run(["ip", "link", "del", ns.host_if])
    RECORDS.forget(name)
    return existed
