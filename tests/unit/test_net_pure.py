"""Parsers of `ip -json` and `iptables-save` on output captured on this project's machine, the path
builder, namespace readers, and network/port validation (seed N4–N8, C2, O1, O2, K2–K8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.hosts import TreeHost
from dockerctl.observe.iproute import parse_links, parse_routes
from dockerctl.observe.iptables import dnat_for, masquerade_for, parse_iptables_save
from dockerctl.observe.namespaces import namespace_ids, uid_map
from dockerctl.observe.netpath import build_path
from dockerctl.observe.processes import Proc
from dockerctl.spec.models import ContainerSpec
from dockerctl.spec.network import NetworkSpec, PortSpec, parse_publish

NET = Path(__file__).parent.parent / "fixtures" / "net"


def test_ip_json_inside_and_on_the_host() -> None:
    inside = {link.name: link for link in parse_links((NET / "container-ip-addr.json").read_text())}
    eth0 = inside["eth0"]
    assert (eth0.ifindex, eth0.link_index) == (1099, 1100)
    assert [f"{a.local}/{a.prefixlen}" for a in eth0.addresses] == ["172.17.0.2/16"]
    host = {link.ifindex: link for link in parse_links((NET / "host-ip-link.json").read_text())}
    peer = host[1100]
    assert peer.master == "docker0" and peer.link_index == 1099 and peer.name.startswith("veth")
    routes = parse_routes((NET / "container-ip-route.json").read_text())
    assert routes[0].dst == "default" and routes[0].gateway == "172.17.0.1"


def test_iptables_save_nat_rules() -> None:
    rules = parse_iptables_save((NET / "iptables-save-nat.txt").read_text())
    masq = masquerade_for(rules, "172.17.0.0/16")
    assert masq is not None and masq.get("!-o") == "docker0" and masq.chain == "POSTROUTING"
    (dnat,) = dnat_for(rules, "18080")
    assert dnat.get("--to-destination") == "172.17.0.2:8080" and dnat.get("!-i") == "docker0"
    assert masquerade_for(rules, "10.0.0.0/8") is None
    filt = parse_iptables_save((NET / "iptables-save-filter.txt").read_text())
    assert any(r.chain == "FORWARD" and r.get("-i") == "docker0" and r.get("!-o") == "docker0" for r in filt)


def test_build_path_joins_kernel_and_engine() -> None:
    proxies = [
        Proc(
            30291,
            (
                "/usr/sbin/docker-proxy",
                "-proto",
                "tcp",
                "-host-ip",
                "0.0.0.0",
                "-host-port",
                "18080",
                "-container-ip",
                "172.17.0.2",
                "-container-port",
                "8080",
            ),
        )
    ]
    path = build_path(
        "web",
        "default",
        parse_links((NET / "container-ip-addr.json").read_text()),
        parse_routes((NET / "container-ip-route.json").read_text()),
        parse_links((NET / "host-ip-link.json").read_text()),
        parse_iptables_save((NET / "iptables-save-nat.txt").read_text()),
        {"docker0": "bridge"},
        {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}]},
        proxies,
        "nameserver 10.255.255.53\n",
    )
    eth0 = next(h for h in path.hops if h.interface["name"] == "eth0")
    assert eth0.bridge == "docker0" and eth0.network == "bridge"
    assert eth0.peer is not None and eth0.peer["ifindex"] == 1100
    assert eth0.masquerade == "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"
    (port,) = path.ports
    assert port["docker_proxy"][0].startswith("pid 30291") and "172.17.0.2:8080" in port["dnat"][0]
    assert path.dns == ["10.255.255.53"] and "do not resolve" in path.notes[0]  # default bridge: no DNS (C2)


def test_namespace_links_and_uid_map(tmp_path: Path) -> None:
    ns = tmp_path / "42" / "ns"
    ns.mkdir(parents=True)
    for kind, inode in (("net", 4026532184), ("uts", 4026532181)):
        os.symlink(f"{kind}:[{inode}]", ns / kind)
    host = TreeHost(tmp_path, tmp_path)  # a captured /proc
    assert namespace_ids(host, 42) == {"uts": "uts:[4026532181]", "net": "net:[4026532184]"}
    (tmp_path / "42" / "uid_map").write_text("         0          0 4294967295\n")
    assert uid_map(host, 42) == [(0, 0, 4294967295)]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subnet": "172.30.0.5/24"}, "subnet"),
        ({"subnet": "172.30.0.0/24", "gateway": "172.31.0.1"}, "gateway"),
        ({"subnet": "172.30.0.0/24", "ip_range": "172.30.1.0/25"}, "ip_range"),
        ({"gateway": "172.30.0.1"}, "gateway"),
        ({"driver": "macvlan", "subnet": "198.18.5.0/24"}, "options"),
        ({"driver": "macvlan", "options": {"parent": "eth0"}}, "subnet"),
        ({"name": "bridge"}, "name"),
    ],
)
def test_bad_networks(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        NetworkSpec.model_validate({"name": "n1", **kwargs})
    assert caught.value.field == field


def test_publish_forms() -> None:
    assert parse_publish("80") == PortSpec(container_port=80)
    assert parse_publish("8080:80") == PortSpec(container_port=80, host_port=8080)
    assert parse_publish("127.0.0.1:8080:80/udp") == PortSpec(
        container_port=80, host_port=8080, host_ip="127.0.0.1", protocol="udp"
    )
    assert parse_publish("127.0.0.1::80").host_port is None
    for bad in ("x", "70000", "1.2.3:80:80", "80/sctp"):
        with pytest.raises(InvalidInput):
            parse_publish(bad)


def test_container_network_options() -> None:
    with pytest.raises(InvalidInput) as host_h:
        ContainerSpec(image="i", network="host", hostname="web")
    assert host_h.value.field == "hostname"
    with pytest.raises(InvalidInput) as none_p:
        ContainerSpec(image="i", network="none", publish=(PortSpec(container_port=80),))
    assert none_p.value.field == "publish"
    with pytest.raises(InvalidInput):
        ContainerSpec(image="i", hostname="bad_host!")
    assert ContainerSpec(image="i", network="container:web").network == "container:web"
