"""calico's routed path (X13) judged by netmodels/calico/verdicts.py on `ip -json` rows and BIRD's protocols as this
kernel and bird2 print them."""

from __future__ import annotations

from dockerctl.netmodels.calico import verdicts as routed
from dockerctl.verify.verdict import Verdict

ROUTES = [
    {"dst": "default", "gateway": "198.18.112.1", "dev": "eth0"},
    {"dst": "10.7.1.0/26", "gateway": "198.18.112.11", "dev": "eth0", "protocol": "bird", "flags": []},
    {"dst": "10.7.0.2", "dev": "cali1234", "scope": "link"},
]


def test_the_route_must_be_birds_via_the_other_host_and_cover_the_address() -> None:
    ok = routed.learned_route("cal1", "b", "10.7.1.2", "198.18.112.11", ROUTES)
    assert ok.verdict is Verdict.ENFORCED and ok.observed == "10.7.1.0/26 via 198.18.112.11 proto bird"
    assert not routed.learned_route("cal1", "b", "10.7.2.2", "198.18.112.11", ROUTES).ok  # outside the block
    assert not routed.learned_route("cal1", "b", "10.7.1.2", "198.18.112.12", ROUTES).ok  # another gateway
    static = [{**ROUTES[1], "protocol": "static"}]
    assert not routed.learned_route("cal1", "b", "10.7.1.2", "198.18.112.11", static).ok  # not BGP's


def test_ttl_mesh_and_encapsulation() -> None:
    assert routed.ttl("b", 62, 2, "ping").ok and not routed.ttl("b", 64, 2, "ping").ok
    assert routed.ttl("b", 64, 0, "ping").desired == "64: routed by the host (pure L3)"
    sessions = {"mesh_cal2": ("up", "Established"), "mesh_cal3": ("start", "Active")}
    assert not routed.full_mesh("cal1", sessions, 2, "birdc").ok
    assert routed.full_mesh("cal1", {"mesh_cal2": ("up", "Established")}, 1, "birdc").ok
    links = [
        {"ifname": "eth0", "linkinfo": {"info_kind": "veth"}},
        {"ifname": "lo"},
        {"ifname": "vx0", "linkinfo": {"info_kind": "vxlan"}},
    ]
    assert routed.encapsulation(links) == ["vx0 (vxlan)"]
    assert routed.no_encapsulation("cal1", []).ok and not routed.no_encapsulation("cal1", ["vx0 (vxlan)"]).ok
