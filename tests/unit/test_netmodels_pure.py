"""doctor's network-model reading (seed X11–X14), judged on kernel output captured from this machine's
lab hosts (tests/fixtures/net/models/<model>/: `ip -json -d link`, `ip -json route`, `ip -json neigh`,
`bridge -json fdb`, `iptables-save -t filter`, calico's proxy_arp sysctls) — then broken one entry at a
time, as a half-programmed or stale host would be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerctl.observe.netmodels import ModelFacts, parse_env
from dockerctl.verify.netmodels import Agreement, judge_models

FIXTURES = Path(__file__).parent.parent / "fixtures" / "net" / "models"


def facts_of(model: str, *, ranges: dict[str, str] | None = None) -> ModelFacts:
    d = FIXTURES / model
    proxy = d / "proxy_arp.json"
    return ModelFacts(
        links=json.loads((d / "link.json").read_text()),
        routes=json.loads((d / "route.json").read_text()),
        neighbours=json.loads((d / "neigh.json").read_text()),
        fdb=json.loads((d / "fdb.json").read_text()),
        filter_rules=(d / "iptables-filter.txt").read_text(),
        proxy_arp=json.loads(proxy.read_text()) if proxy.exists() else {},
        ranges=ranges or {},
    )


def test_flannel_vxlan_entries_agree() -> None:
    [m] = judge_models(facts_of("flannel-vxlan"))
    assert (m.model, m.verdict, m.kind, m.claim) == ("flannel vxlan", Agreement.CONSISTENT, "overlay", "X11")
    assert m.detail.startswith("flannel.1: VNI 1, UDP 8472, MTU 1450; 1 remote subnet(s)")
    [peer] = [e for e in m.evidence if "→" in e]
    assert peer.startswith("10.6.2.0/24 via 10.6.2.0 onlink → neighbour ") and peer.endswith(
        "FDB dst 198.18.111.11"
    )


def test_flannel_vxlan_missing_neighbour_or_fdb_or_a_stale_peer_is_named() -> None:
    f = facts_of("flannel-vxlan")
    f.neighbours = [n for n in f.neighbours if n.get("dev") != "flannel.1"]
    [m] = judge_models(f)
    assert m.verdict is Agreement.INCONSISTENT
    assert "route 10.6.2.0/24 via 10.6.2.0: no neighbour entry for 10.6.2.0 on flannel.1" in m.problems

    f = facts_of("flannel-vxlan")
    f.fdb = [e for e in f.fdb if e.get("ifname") != "flannel.1"]
    [m] = judge_models(f)
    assert m.verdict is Agreement.INCONSISTENT and "no FDB entry for its VTEP MAC" in m.problems[0]

    f = facts_of("flannel-vxlan")
    f.routes = [r for r in f.routes if r.get("dev") != "flannel.1"]  # the lease gone, the FDB entry left
    [m] = judge_models(f)
    assert m.verdict is Agreement.INCONSISTENT
    assert m.problems[0].endswith("→ 198.18.111.11 on flannel.1 has no route: a peer left behind")


def test_flannel_host_gw_needs_its_network_and_connected_gateways() -> None:
    assert judge_models(facts_of("flannel-host-gw")) == []  # no device, no network named: nothing to tell
    [m] = judge_models(facts_of("flannel-host-gw", ranges={"flannel": "10.5.0.0/16"}))
    assert (m.model, m.verdict, m.kind) == ("flannel host-gw", Agreement.CONSISTENT, "underlay")
    assert "10.5.1.0/24 via 198.18.110.10 dev eth0" in m.evidence

    f = facts_of("flannel-host-gw", ranges={"flannel": "10.5.0.0/16"})
    f.routes = [r for r in f.routes if r.get("dst") != "198.18.110.0/24"]  # the link's subnet gone
    [m] = judge_models(f)
    assert m.verdict is Agreement.INCONSISTENT
    assert m.problems == ["route 10.5.1.0/24 via 198.18.110.10: the gateway is on no directly connected link"]


def test_calico_is_pure_l3_with_bird_routes_and_felix_chains() -> None:
    [m] = judge_models(facts_of("calico"))
    assert (m.model, m.verdict, m.kind) == ("calico", Agreement.CONSISTENT, "underlay")
    assert m.detail == (
        "2 workload interface(s) cali*, 2 route(s) proto bird, 2 cali-* chain(s); "
        "no encapsulation device: pure L3"
    )
    assert "10.7.0.64/26 via 198.18.112.11 proto bird" in m.evidence
    assert "iptables chains: cali-FORWARD, cali-to-wl-dispatch" in m.evidence


def test_calico_without_proxy_arp_or_host_route_or_with_ipip_says_so() -> None:
    f = facts_of("calico")
    name = next(iter(f.proxy_arp))
    f.proxy_arp[name] = "0"
    [m] = judge_models(f)
    assert m.verdict is Agreement.INCONSISTENT
    assert m.problems == [f"{name}: proxy_arp is 0, not 1 (169.254.1.1 would go unanswered)"]

    f = facts_of("calico")
    f.routes = [r for r in f.routes if r.get("dev") != name]
    [m] = judge_models(f)
    assert m.problems == [f"{name}: no /32 route `dev {name} scope link` to its workload"]

    f = facts_of("calico")  # calico with IPIP: tunl0 carries the routes to the other blocks
    f.links.append({"ifname": "tunl0", "mtu": 1480, "linkinfo": {"info_kind": "ipip"}})
    f.routes.append({"dst": "10.7.0.128/26", "gateway": "198.18.112.12", "dev": "tunl0", "protocol": "bird"})
    [m] = judge_models(f)
    assert m.kind == "overlay" and m.detail.endswith("encapsulated by tunl0")


def test_weave_floods_to_its_peers() -> None:
    [m] = judge_models(facts_of("weave"))
    assert (m.model, m.verdict, m.kind) == ("weave", Agreement.CONSISTENT, "overlay")
    assert any(e.startswith("vxw: vxlan VNI 42 UDP 6784; flood to 198.18.113.11;") for e in m.evidence)

    f = facts_of("weave")
    f.fdb = [e for e in f.fdb if e.get("mac") != "00:00:00:00:00:00"]
    [m] = judge_models(f)
    assert m.verdict is Agreement.INCONSISTENT
    assert m.problems == ["vxw has no flood entry 00:00:00:00:00:00: broadcasts (ARP) reach no other host"]


def test_weave_fast_datapath_outside_the_bridge_is_unverified_not_claimed() -> None:
    f = facts_of("weave")
    for link in f.links:
        if link["ifname"] == "vxw":
            link["ifname"], link["master"] = "vxlan-6784", "datapath"  # real weave: an OVS datapath port
    [m] = judge_models(f)
    assert m.verdict is Agreement.UNVERIFIED and m.kind == "overlay"


@pytest.mark.parametrize("model", ["flannel-vxlan", "calico", "weave"])
def test_a_plain_host_carries_none(model: str) -> None:
    # the same host with the model's own objects taken out: nothing is claimed
    f = facts_of(model)
    own = ("flannel.", "cali", "weave", "vxw")
    f.links = [lk for lk in f.links if not str(lk["ifname"]).startswith(own)]
    f.routes = [
        r for r in f.routes if not str(r.get("dev", "")).startswith(own) and r.get("protocol") != "bird"
    ]
    f.filter_rules = ""
    assert judge_models(f) == []


def test_subnet_env_is_read_as_flanneld_writes_it() -> None:
    text = (
        "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.52.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n"
    )
    assert parse_env(text) == {
        "FLANNEL_NETWORK": "10.5.0.0/16",
        "FLANNEL_SUBNET": "10.5.52.1/24",
        "FLANNEL_MTU": "1450",
        "FLANNEL_IPMASQ": "false",
    }
