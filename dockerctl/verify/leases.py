"""Judging flannel's model (seed X11) from what was read: a host's lease in etcd, the kernel entries the
host holds for the other leases, a deleted lease's entries leaving the other hosts, and the source
address a container on another subnet sees (no NAT between subnets)."""

from __future__ import annotations

from typing import Protocol

from dockerctl.verify.checks import Check, Verdict, held


class KernelEntries(Protocol):
    """A host's entries for the other leases (fabric/flannel.Entries): subnet → via, and for vxlan
    <subnet>.0 → VtepMAC (neighbours) and VtepMAC → PublicIP (fdb)."""

    @property
    def routes(self) -> dict[str, str]: ...

    @property
    def neighbours(self) -> dict[str, str]: ...

    @property
    def fdb(self) -> dict[str, str]: ...


def describe(e: KernelEntries) -> str:
    parts = [f"{len(e.routes)} route(s)"]
    if e.neighbours or e.fdb:
        parts += [f"{len(e.neighbours)} neighbour(s)", f"{len(e.fdb)} FDB entr(ies)"]
    return ", ".join(parts)


def no_lease(subject: str, desired: str, where: str) -> Check:
    return Check(subject, "X11", desired, "none", Verdict.MISMATCH, where)


def lease(
    host: str, key: str, want: tuple[str, str, int], seen: tuple[str, str, int, int], evidence: str
) -> Check:
    """want: the host's PublicIP, the backend and the TTL the lab gave; seen: the lease's PublicIP and
    backend, the TTL etcd granted and the seconds left. It holds with the lab's backend and TTL, alive."""
    public_ip, backend, ttl = want
    seen_ip, seen_backend, granted, left = seen
    return Check(
        f"{host}: its lease {key}",
        "X11",
        f"PublicIP {public_ip}, backend {backend}, TTL {ttl}s",
        f"PublicIP {seen_ip}, backend {seen_backend}, TTL {granted}s ({left}s left)",
        held(seen_backend == backend and granted == ttl and left > 0),
        evidence,
    )


def kernel_entries(host: str, want: KernelEntries, have: KernelEntries, others: int, evidence: str) -> Check:
    """The host holds exactly the entries the other leases call for, a route for each."""
    return Check(
        f"{host}: kernel entries for the other {others} lease(s)",
        "X11",
        describe(want) + " (" + ", ".join(f"{s} via {v}" for s, v in sorted(want.routes.items())) + ")",
        describe(have) + ("" if have == want else f": {have}"),
        held(have == want and len(want.routes) == others),
        evidence,
    )


def lease_gone(
    host: str, key: str, subnet: str, others: list[str], still_on: list[str], took: float, evidence: str
) -> Check:
    """After `host`'s lease was deleted, its entries left every other host (none `still_on` one)."""
    return Check(
        f"{host}'s lease {key} deleted from etcd",
        "X11",
        f"its entries ({subnet}) leave {', '.join(others)}",
        f"gone from every other host after {took:.1f}s"
        if not still_on
        else f"still on {', '.join(still_on)} after {took:.1f}s",
        held(not still_on),
        evidence,
    )


def source_address(
    subject: str, source: str, source_ip: str, peer: str | None, why: str, evidence: str
) -> Check:
    """The connection arrived from `source`'s own address: no NAT between subnets. why: what happened
    when none arrived."""
    return Check(
        subject,
        "X11",
        f"{source_ip} ({source}'s own: no NAT between subnets)",
        peer or f"no connection arrived ({why})",
        held(peer == source_ip),
        evidence,
    )


def source_not_read(subject: str, source_ip: str) -> Check:
    """The listener runs in the receiving container's namespace from this machine: not for another's."""
    return Check(
        subject, "X11", source_ip, "not read", Verdict.UNKNOWN, "", "b's host is not on this machine"
    )
