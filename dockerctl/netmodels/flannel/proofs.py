"""Proofs of flannel's model (seed X11), each reading both sides: the leases in the lab's etcd and the
kernels of the hosts (`ip -json route|neigh`, `bridge -json fdb` in each host's namespace), and traffic
seen from inside the receiving container. Registered with the expectations."""

from __future__ import annotations

import time
from typing import Any

from dockerctl.fabric import etcd
from dockerctl.hosts.listener import tcp_listener
from dockerctl.netmodels.flannel import fabric as flannel
from dockerctl.netmodels.flannel import verdicts as leases
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import Context, handles
from dockerctl.verify.verdict import Check


def _lab(ctx: Context) -> flannel.FlannelLab:
    fl = flannel.load(ctx.playbook.name)
    if fl is None:
        raise RuntimeError(f"lab {ctx.playbook.name} has no flannel up")
    return fl


def _leases(fl: flannel.FlannelLab) -> list[flannel.Lease]:
    out = []
    for kv in etcd.Etcd(fl.lab).client().get_prefix(flannel.SUBNETS):
        lease = flannel.parse_lease(kv.key, kv.value, kv.lease)
        if lease is not None:
            out.append(lease)
    return out


@handles("source_ip")
def _source_ip(body: Any, ctx: Context) -> list[Check]:
    a, b = ctx[body.source], ctx[body.to]
    a.reload()
    b.reload()
    a_ip = next(iter(addresses(a).values()), "")
    b_ip = next(iter(addresses(b).values()), "")
    host = ctx.engine_of(body.to).host
    subject = f"{body.source} → {body.to}: the source address {body.to} sees"
    if not host.local_files:  # the listener runs in b's namespace (its /proc entry) from here
        return [leases.source_not_read(subject, a_ip)]
    pid = int((b.attrs.get("State") or {}).get("Pid") or 0)
    with tcp_listener(f"/proc/{pid}/ns/net", body.port) as arrived:
        result = a.exec_run(["sh", "-c", 'nc -w 3 "$1" "$2" </dev/null', "sh", b_ip, str(body.port)])
        peer = arrived(10)
    return [
        leases.source_address(
            subject, body.source, a_ip, peer, f"nc exit {result.exit_code}",
            f"listener in {body.to}'s network namespace (nsenter --net=/proc/{pid}/ns/net); nc {b_ip} {body.port} "
            f"inside {body.source}",
        )
    ]  # fmt: skip


@handles("flannel")
def _flannel(body: Any, ctx: Context) -> list[Check]:
    fl = _lab(ctx)
    given = _leases(fl)
    store = etcd.Etcd(fl.lab).client()
    by_ip = {lease.public_ip: lease for lease in given}
    checks = []
    for host in body.hosts or list(fl.hosts):
        own = by_ip.get(fl.hosts[host])
        if own is None:
            checks.append(leases.no_lease(f"{host}: its lease", "a lease in etcd", flannel.SUBNETS))
            continue
        left, granted = store.time_to_live(own.lease_id) if own.lease_id else (-1, 0)
        checks.append(leases.lease(
            host, own.key, (fl.hosts[host], fl.config.backend, fl.lease_ttl),
            (own.public_ip, own.backend, granted, left), f"etcd {store.url}: {own.key}; lease {own.lease_id:x}",
        ))  # fmt: skip
        want = flannel.desired(fl.config, own.subnet, given)
        have = flannel.observed(ctx.engines[host].host, fl.config)
        checks.append(leases.kernel_entries(
            host, want, have, len(given) - 1,
            f"ip -json route; ip -json neigh / bridge -json fdb dev {fl.config.device} (in {host}'s namespace)"
            if fl.config.backend == "vxlan"
            else f"ip -json route (in {host}'s namespace)",
        ))  # fmt: skip
    return checks


@handles("lease_removed")
def _lease_removed(body: Any, ctx: Context, wait: float = 10) -> list[Check]:
    fl = _lab(ctx)
    store = etcd.Etcd(fl.lab).client()
    lease = next((le for le in _leases(fl) if le.public_ip == fl.hosts[body.host]), None)
    if lease is None:
        return [leases.no_lease(f"{body.host}'s lease", "present", flannel.SUBNETS)]
    store.delete(lease.key)
    others = [h for h in fl.hosts if h != body.host]
    deadline = time.monotonic() + wait
    started = time.monotonic()
    while True:
        held = {
            h: flannel.observed(ctx.engines[h].host, fl.config)
            for h in others
        }  # fmt: skip
        left = {h: e for h, e in held.items() if lease.subnet in e.routes or lease.vtep_mac in e.fdb}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    took = time.monotonic() - started
    return [
        leases.lease_gone(
            body.host, lease.key, lease.subnet, others, list(left), took,
            "etcd deleterange; then ip -json route"
            + (f", bridge -json fdb dev {fl.config.device}" if fl.config.backend == "vxlan" else "")
            + " in each other host's namespace",
        )
    ]  # fmt: skip
