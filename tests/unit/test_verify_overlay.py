"""Overlay and macvlan paths (X4–X8) judged by verify/overlay.py on what observe/overlay read and the
engine's IPAM gave."""

from __future__ import annotations

from dockerctl.observe.overlay import OverlayNamespace, VxlanDevice
from dockerctl.verify import overlay
from dockerctl.verify.verdict import Verdict


def _ns(
    tx: int, rx: int, *, master: str | None = "br0", fdb: tuple[str, ...] = ("198.18.100.11",)
) -> OverlayNamespace:
    vx = VxlanDevice("vxlan0", 4097, 4789, master, tx, rx)
    return OverlayNamespace("/run/dctl-h1/netns/1-abcdef0123", ["br0"], [vx], list(fdb))


def test_an_interface_is_on_its_network_by_its_address() -> None:
    ok = overlay.on_subnet("x", "eth0", "overlay n1", "10.0.1.0/24", ["10.0.1.3"], "ip -json addr")
    assert ok.ok and ok.desired == "on overlay n1 (10.0.1.0/24)"
    assert not overlay.on_subnet("x", "eth1", "docker_gwbridge", "172.18.0.0/16", ["10.0.1.3"], "ip").ok
    missing = overlay.on_subnet("x", "eth1", "docker_gwbridge", "172.18.0.0/16", [], "ip")
    assert not missing.ok and missing.observed == "no such interface"
    assert not overlay.on_subnet("x", "eth0", "overlay n1", "", ["10.0.1.3"], "ip").ok  # no subnet known


def test_the_namespace_carries_the_traffic_to_the_peer() -> None:
    checks = overlay.namespace_carries("h1", "h2", "198.18.100.11", _ns(10, 10), _ns(15, 15), "5 pings")
    assert [c.verdict for c in checks] == [Verdict.ENFORCED] * 3
    assert checks[2].observed == "tx 10→15, rx 10→15"
    still = overlay.namespace_carries("h1", "h2", "198.18.100.11", _ns(10, 10), _ns(15, 10), "5 pings")
    assert [c.ok for c in still] == [True, True, False]  # rx did not grow
    elsewhere = overlay.namespace_carries("h1", "h2", "198.18.100.12", _ns(1, 1), _ns(2, 2), "5 pings")
    assert not elsewhere[1].ok  # its FDB points at another host
    loose = overlay.namespace_carries(
        "h1", "h2", "198.18.100.11", _ns(1, 1), _ns(2, 2, master=None), "5 pings"
    )
    assert not loose[0].ok  # vxlan0 not a port of br0
    assert not overlay.no_namespace("h1", "no namespace 1-abc").ok


def test_default_subnets_rise_in_the_order_made() -> None:
    assert overlay.default_subnets(["n1", "n2"], ["10.0.1.0/24", "10.0.2.0/24"]).ok
    assert not overlay.default_subnets(["n1", "n2"], ["10.0.2.0/24", "10.0.1.0/24"]).ok
    assert not overlay.default_subnets(["n1", "n2"], ["10.0.1.0/24", "10.0.1.0/24"]).ok
    assert not overlay.default_subnets(["n1"], ["10.9.0.0/16"]).ok
    assert not overlay.default_subnets(["n1"], [""]).ok


def test_a_macvlan_path_has_no_router() -> None:
    assert overlay.macvlan("x", "macvlan", "ip -d link").ok and not overlay.macvlan("x", "veth", "ip").ok
    assert overlay.macvlan("x", None, "ip").observed == "?"
    assert overlay.no_router("y", 64, "ping").ok and not overlay.no_router("y", 63, "ping").ok
    assert not overlay.no_router("y", None, "ping").ok
