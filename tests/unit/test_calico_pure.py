"""calico's model, pure parts (seed X13): block keys in calico's affinity layout, BIRD's config for a
full iBGP mesh, `birdc show protocols` (captured here from bird2 2.0.12), Felix's chains compiled from
policies, and the playbook's rules (errors at FILE:LINE)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.netmodels.calico import fabric as calico
from dockerctl.netmodels.calico.section import SECTION
from dockerctl.spec.playbook import load_playbook

LAB = calico.CalicoLab("cp", {"cal1": "198.18.112.10", "cal2": "198.18.112.11", "cal3": "198.18.112.12"})

# `birdc -s …/bird.ctl show protocols` on a simulated host of calico-policy
SHOW_PROTOCOLS = "\n".join([
    "BIRD 2.0.12 ready.",
    "Name       Proto      Table      State  Since         Info",
    "device1    Device     ---        up     07:47:45.541  ",
    "static1    Static     master4    up     07:47:45.541  ",
    "kernel1    Kernel     master4    up     07:47:45.541  ",
    "mesh_cal2  BGP        ---        up     07:47:50.234  Established   ",
    "mesh_cal3  BGP        ---        start  07:47:45.541  Active        Socket: Connection refused",
])  # fmt: skip


def test_block_keys_are_calicos_affinity_layout() -> None:
    key = calico.block_key("cal1", "10.7.0.64/26")
    assert key == "/calico/ipam/v2/host/cal1/ipv4/block/10.7.0.64-26"
    assert calico.parse_block_key(key) == ("cal1", "10.7.0.64/26")
    assert calico.parse_block_key("/calico/ipam/v2/assignment/ipv4/block/10.7.0.0-26") is None


def test_bird_config_is_a_full_ibgp_mesh_announcing_the_hosts_block() -> None:
    conf = calico.bird_conf(LAB, "cal1", "10.7.0.0/26")
    assert "router id 198.18.112.10;" in conf
    assert "route 10.7.0.0/26 blackhole;" in conf  # calico's blackhole for the host's own block
    assert "local 198.18.112.10 as 64512;" in conf and "direct;" in conf
    assert "neighbor 198.18.112.11 as 64512;" in conf and "neighbor 198.18.112.12 as 64512;" in conf
    assert "neighbor 198.18.112.10" not in conf  # not itself
    assert "export filter { if source ~ [RTS_BGP, RTS_STATIC] then accept; reject; }" in conf


def test_birdc_protocols_are_parsed() -> None:
    parsed = calico.parse_protocols(SHOW_PROTOCOLS)
    assert parsed["mesh_cal2"] == ("up", "Established")
    assert parsed["mesh_cal3"][0] == "start" and parsed["mesh_cal3"][1].startswith("Active")
    assert parsed["static1"] == ("up", "")


def test_policies_compile_into_felix_chains() -> None:
    policy = calico.Policy("web-ingress", {"role": "web"}, (calico.Rule({"role": "client"}, 80),))
    workloads = [
        calico.Workload("web", "cal2", "10.7.0.65", "cali1111", {"role": "web"}),
        calico.Workload("peer", "cal2", "10.7.0.66", "cali2222", {"role": "peer"}),
        calico.Workload("client", "cal1", "10.7.0.1", "cali3333", {"role": "client"}),
        calico.Workload("other", "cal1", "10.7.0.2", "cali4444", {"role": "other"}),
    ]
    lines = calico.compile_policies((policy,), workloads, "cal2")
    assert lines[:3] == ["*filter", ":cali-FORWARD - [0:0]", ":cali-to-wl-dispatch - [0:0]"]
    assert ":cali-tw-cali1111 - [0:0]" in lines and not any(
        "cali2222" in line for line in lines
    )  # peer: unselected
    rules = [line for line in lines if line.startswith("-A cali-tw-cali1111")]
    assert rules == [
        "-A cali-tw-cali1111 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        '-A cali-tw-cali1111 -s 10.7.0.1/32 -p tcp -m multiport --destination-ports 80 -m comment --comment "policy web-ingress" -j ACCEPT',
        '-A cali-tw-cali1111 -m comment --comment "no policy passed the packet" -j DROP',
    ]
    assert "-A cali-to-wl-dispatch -o cali1111 -j cali-tw-cali1111" in lines and lines[-2:] == ["COMMIT", ""]
    assert calico.compile_policies((policy,), workloads, "cal1")[3:] == [
        "-A cali-FORWARD -o cali+ -j cali-to-wl-dispatch", "COMMIT", "",
    ]  # fmt: skip


def check_pool(pool: str, block_len: int, hosts: int) -> None:
    SECTION.check(SimpleNamespace(pool=pool, block_len=block_len), hosts)


def test_the_pool_must_hold_a_block_per_host() -> None:
    check_pool("10.7.0.0/16", 26, 3)
    with pytest.raises(InvalidInput, match="holds 2 block"):
        check_pool("10.7.0.0/25", 26, 3)
    with pytest.raises(InvalidInput, match="at least the pool") as err:
        check_pool("10.7.0.0/16", 12, 2)
    assert err.value.where == "calico.pool"


PB = (Path(__file__).parents[2] / "playbooks" / "calico-policy.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "allow: [{from: {role: client}, port: 80}]",
            "allow: [{from: {role: admin}, port: 80}]",
            "no container of this playbook has label role=admin",
        ),
        (
            "allow: [{from: {role: client}, port: 80}]",
            "allow: [{from: {role: client}, port: 70000}]",
            "less than or equal to 65535",
        ),
        (
            "selector: {role: web}",
            "selector: {tier: web}",
            "no container of this playbook has label tier=web",
        ),
        ("pool: 10.7.0.0/16, block_len: 26", "pool: 10.7.0.0/28, block_len: 28", "fewer than its 2 host(s)"),
        (
            "c2: {driver: dockerctl-calico, host: cal2}",
            "c2: {driver: dockerctl-calico, host: cal1}",
            "one per host",
        ),
    ],
)
def test_bad_calico_input_names_the_line(tmp_path: Path, old: str, new: str, words: str) -> None:
    assert old in PB
    text = PB.replace(old, new)
    path = tmp_path / "calico.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    assert words in caught.value.message, caught.value.message
    line = next(
        i for i, t in enumerate(text.splitlines(), 1) if new.split(":")[0].strip() in t and new.strip() in t
    )
    assert caught.value.where == f"{path}:{line}", (caught.value.where, line)
