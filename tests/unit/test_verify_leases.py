"""flannel's model (X11) judged by netmodels/flannel/verdicts.py on what etcd and the kernel gave: a host's lease, the
entries it holds for the others, a deleted lease's entries leaving, the source address seen."""

from __future__ import annotations

from dockerctl.netmodels.flannel import fabric as flannel
from dockerctl.netmodels.flannel import verdicts as leases
from dockerctl.verify.verdict import Verdict

VXLAN = flannel.Config("10.5.0.0/16", "vxlan")
LEASES = [
    flannel.Lease("10.5.1.0/24", "198.18.110.10", "vxlan", "aa:bb:cc:00:00:01", 1),
    flannel.Lease("10.5.2.0/24", "198.18.110.11", "vxlan", "aa:bb:cc:00:00:02", 1),
    flannel.Lease("10.5.3.0/24", "198.18.110.12", "vxlan", "aa:bb:cc:00:00:03", 1),
]


def test_a_lease_holds_with_the_labs_backend_and_ttl_while_alive() -> None:
    want = ("198.18.110.10", "vxlan", 60)
    ok = leases.lease("fl1", "k", want, ("198.18.110.10", "vxlan", 60, 42), "etcd")
    assert ok.verdict is Verdict.ENFORCED
    assert ok.observed == "PublicIP 198.18.110.10, backend vxlan, TTL 60s (42s left)"
    assert not leases.lease("fl1", "k", want, ("198.18.110.10", "host-gw", 60, 42), "etcd").ok
    assert not leases.lease("fl1", "k", want, ("198.18.110.10", "vxlan", 0, -1), "etcd").ok  # no TTL: expired
    assert not leases.no_lease("fl1: its lease", "a lease in etcd", "/coreos.com/network/subnets").ok


def test_kernel_entries_must_be_exactly_those_the_other_leases_call_for() -> None:
    want = flannel.desired(VXLAN, "10.5.1.0/24", LEASES)
    same = flannel.Entries(dict(want.routes), dict(want.neighbours), dict(want.fdb))
    ok = leases.kernel_entries("fl1", want, same, 2, "ip -json route")
    assert ok.ok and ok.observed == "2 route(s), 2 neighbour(s), 2 FDB entr(ies)"
    assert ok.desired.startswith("2 route(s), 2 neighbour(s), 2 FDB entr(ies) (10.5.2.0/24 via ")
    short = flannel.Entries(dict(list(want.routes.items())[:1]), dict(want.neighbours), dict(want.fdb))
    bad = leases.kernel_entries("fl1", want, short, 2, "ip -json route")
    assert not bad.ok and bad.observed.startswith("1 route(s), 2 neighbour(s), 2 FDB entr(ies): ")
    # three other leases, but entries (and wanted entries) for two: a route short
    assert not leases.kernel_entries("fl1", want, same, 3, "ip -json route").ok


def test_a_deleted_lease_is_judged_by_where_its_entries_stayed() -> None:
    gone = leases.lease_gone("fl1", "k", "10.5.1.0/24", ["fl2", "fl3"], [], 1.04, "etcd deleterange")
    assert gone.ok and gone.observed == "gone from every other host after 1.0s"
    stayed = leases.lease_gone("fl1", "k", "10.5.1.0/24", ["fl2", "fl3"], ["fl3"], 10.2, "etcd deleterange")
    assert not stayed.ok and stayed.observed == "still on fl3 after 10.2s"


def test_the_source_address_must_be_the_senders_own() -> None:
    ok = leases.source_address("a → b", "a", "10.5.1.2", "10.5.1.2", "nc exit 0", "listener")
    assert ok.ok and ok.desired == "10.5.1.2 (a's own: no NAT between subnets)"
    nat = leases.source_address("a → b", "a", "10.5.1.2", "10.5.1.1", "nc exit 0", "listener")
    assert not nat.ok
    none = leases.source_address("a → b", "a", "10.5.1.2", None, "nc exit 1", "listener")
    assert not none.ok and none.observed == "no connection arrived (nc exit 1)"
    assert leases.source_not_read("a → b", "10.5.1.2").verdict is Verdict.UNKNOWN
