"""flannel's model, pure parts (seed X11): its config and lease values in flannel's own formats, subnet
choice (SubnetMin is the second subnet), the entries each backend wants per remote lease, and the
playbook's rules (errors at FILE:LINE). Kernel reads are tested on `ip -json` output captured here."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.fabric.etcd import prefix_end
from dockerctl.hosts.base import Completed, Host
from dockerctl.netmodels.flannel import fabric as flannel
from dockerctl.netmodels.flannel.section import SECTION
from dockerctl.spec.playbook import load_playbook


def test_config_and_lease_values_are_flannels_own() -> None:
    cfg = flannel.Config("10.5.0.0/16", "vxlan")
    assert json.loads(cfg.to_json()) == {
        "Network": "10.5.0.0/16",
        "SubnetLen": 24,
        "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472},
    }
    assert flannel.Config.from_json(cfg.to_json()) == cfg
    assert cfg.device == "flannel.1"
    lease = flannel.Lease("10.5.52.0/24", "192.168.64.3", "vxlan", "c6:d2:32:6f:8f:44", 1)
    assert lease.key == "/coreos.com/network/subnets/10.5.52.0-24"
    # the value flannel's pkg/subnet/etcd writes (multi-host.md)
    assert json.loads(lease.to_json()) == {
        "PublicIP": "192.168.64.3",
        "BackendType": "vxlan",
        "BackendData": {"VNI": 1, "VtepMAC": "c6:d2:32:6f:8f:44"},
    }
    assert flannel.parse_lease(lease.key, lease.to_json(), 7) == flannel.Lease(
        "10.5.52.0/24", "192.168.64.3", "vxlan", "c6:d2:32:6f:8f:44", 1, 7
    )
    hostgw = flannel.Lease("10.5.2.0/24", "198.18.110.11", "host-gw")
    assert json.loads(hostgw.to_json()) == {"PublicIP": "198.18.110.11", "BackendType": "host-gw"}
    assert flannel.parse_lease("/coreos.com/network/config", "{}") is None
    assert flannel.parse_lease("/coreos.com/network/subnets/garbage", "{}") is None


def test_subnets_start_at_subnetmin_and_skip_taken_ones() -> None:
    cfg = flannel.Config("10.5.0.0/16", "host-gw")
    assert flannel.free_subnet(cfg, []) == "10.5.1.0/24"  # the first subnet is never leased
    assert flannel.free_subnet(cfg, ["10.5.1.0/24", "10.5.3.0/24"]) == "10.5.2.0/24"
    small = flannel.Config("10.5.0.0/23", "host-gw")
    with pytest.raises(Exception, match="no free /24"):
        flannel.free_subnet(small, ["10.5.1.0/24"])
    assert prefix_end("/coreos.com/network/subnets/") == "/coreos.com/network/subnets0"


def test_each_backend_wants_its_entries_per_remote_lease() -> None:
    leases = [
        flannel.Lease("10.5.1.0/24", "198.18.110.10", "vxlan", "aa:aa:aa:aa:aa:01", 1),
        flannel.Lease("10.5.2.0/24", "198.18.110.11", "vxlan", "aa:aa:aa:aa:aa:02", 1),
        flannel.Lease("10.5.3.0/24", "198.18.110.12", "vxlan", "aa:aa:aa:aa:aa:03", 1),
    ]
    want = flannel.desired(flannel.Config("10.5.0.0/16", "vxlan"), "10.5.1.0/24", leases)
    assert want.routes == {
        "10.5.2.0/24": "10.5.2.0 dev flannel.1 onlink",
        "10.5.3.0/24": "10.5.3.0 dev flannel.1 onlink",
    }
    assert want.neighbours == {"10.5.2.0": "aa:aa:aa:aa:aa:02", "10.5.3.0": "aa:aa:aa:aa:aa:03"}
    assert want.fdb == {"aa:aa:aa:aa:aa:02": "198.18.110.11", "aa:aa:aa:aa:aa:03": "198.18.110.12"}
    gw = [flannel.Lease(lease.subnet, lease.public_ip, "host-gw") for lease in leases]
    want = flannel.desired(flannel.Config("10.5.0.0/16", "host-gw"), "10.5.2.0/24", gw)
    assert want.routes == {"10.5.1.0/24": "198.18.110.10 dev eth0", "10.5.3.0/24": "198.18.110.12 dev eth0"}
    assert not want.neighbours and not want.fdb


class Canned(Host):
    """A host whose `ip`/`bridge` answers are output captured on a simulated host here."""

    name = "canned"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.ran: list[list[str]] = []

    def run(self, argv, *, timeout: float = 10, stdin: str | None = None) -> Completed:  # type: ignore[no-untyped-def, override]
        self.ran.append(list(argv))
        out = self.answers.get(" ".join(argv))
        return Completed(list(argv), 0 if out is not None else 1, out or "", "" if out is not None else "no")

    def read_text(self, path: str) -> str:  # pragma: no cover - not used here
        raise OSError(path)

    def exists(self, path: str) -> bool:  # pragma: no cover
        return False


ROUTES = json.dumps([
    {"dst": "default", "gateway": "172.20.0.1", "dev": "eth0", "flags": []},
    {"dst": "10.5.1.0/24", "dev": "flb-abc", "protocol": "kernel", "scope": "link", "prefsrc": "10.5.1.1", "flags": []},
    {"dst": "10.5.2.0/24", "gateway": "10.5.2.0", "dev": "flannel.1", "flags": ["onlink"]},
    {"dst": "10.5.9.0/24", "gateway": "10.5.9.0", "dev": "flannel.1", "flags": ["onlink"]},
    {"dst": "198.18.110.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "198.18.110.10", "flags": []},
])  # fmt: skip
NEIGH = json.dumps([
    {"dst": "10.5.2.0", "dev": "flannel.1", "lladdr": "aa:aa:aa:aa:aa:02", "state": ["PERMANENT"]},
    {"dst": "10.5.9.0", "dev": "flannel.1", "lladdr": "aa:aa:aa:aa:aa:09", "state": ["PERMANENT"]},
])  # fmt: skip
FDB = json.dumps([
    {"mac": "aa:aa:aa:aa:aa:02", "ifname": "flannel.1", "dst": "198.18.110.11", "flags": ["self"], "state": "permanent"},
    {"mac": "aa:aa:aa:aa:aa:09", "ifname": "flannel.1", "dst": "198.18.110.19", "flags": ["self"], "state": "permanent"},
])  # fmt: skip


def test_reconcile_removes_what_no_lease_backs_and_adds_what_is_missing() -> None:
    host = Canned({
        "ip -json route show": ROUTES,
        "ip -json neigh show dev flannel.1": NEIGH,
        "bridge -json fdb show dev flannel.1": FDB,
    })  # fmt: skip
    cfg = flannel.Config("10.5.0.0/16", "vxlan")
    have = flannel.observed(host, cfg)
    assert have.routes == {
        "10.5.2.0/24": "10.5.2.0 dev flannel.1 onlink",
        "10.5.9.0/24": "10.5.9.0 dev flannel.1 onlink",
    }
    leases = [
        flannel.Lease("10.5.1.0/24", "198.18.110.10", "vxlan", "aa:aa:aa:aa:aa:01", 1),
        flannel.Lease("10.5.2.0/24", "198.18.110.11", "vxlan", "aa:aa:aa:aa:aa:02", 1),
        flannel.Lease("10.5.3.0/24", "198.18.110.12", "vxlan", "aa:aa:aa:aa:aa:03", 1),
    ]
    for argv in (
        "ip route del 10.5.9.0/24",
        "ip neigh del 10.5.9.0 dev flannel.1",
        "bridge fdb del aa:aa:aa:aa:aa:09 dev flannel.1 dst 198.18.110.19",
        "bridge fdb replace aa:aa:aa:aa:aa:03 dev flannel.1 dst 198.18.110.12 self permanent",
        "ip neigh replace 10.5.3.0 lladdr aa:aa:aa:aa:aa:03 dev flannel.1 nud permanent",
        "ip route replace 10.5.3.0/24 via 10.5.3.0 dev flannel.1 onlink",
    ):
        host.answers[argv] = ""
    flannel.reconcile(host, cfg, "10.5.1.0/24", leases)
    changed = [" ".join(a) for a in host.ran if not a[1].startswith("-json")]
    assert changed == [
        "ip route del 10.5.9.0/24",  # 10.5.9.0/24's lease is gone: its three entries go
        "ip neigh del 10.5.9.0 dev flannel.1",
        "bridge fdb del aa:aa:aa:aa:aa:09 dev flannel.1 dst 198.18.110.19",
        "bridge fdb replace aa:aa:aa:aa:aa:03 dev flannel.1 dst 198.18.110.12 self permanent",  # new lease
        "ip neigh replace 10.5.3.0 lladdr aa:aa:aa:aa:aa:03 dev flannel.1 nud permanent",
        "ip route replace 10.5.3.0/24 via 10.5.3.0 dev flannel.1 onlink",
    ]  # 10.5.2.0/24 holds already: untouched


def check_config(network: str, subnet_len: int, hosts: int) -> None:
    SECTION.check(SimpleNamespace(network=network, subnet_len=subnet_len), hosts)


def test_the_network_must_hold_a_subnet_per_host() -> None:
    check_config("10.5.0.0/16", 24, 2)
    check_config("10.5.0.0/23", 24, 1)  # two /24s, the first never leased: one host
    with pytest.raises(InvalidInput, match="holds 1 subnet"):
        check_config("10.5.0.0/23", 24, 2)
    with pytest.raises(InvalidInput, match="longer than"):
        check_config("10.5.0.0/24", 24, 2)
    with pytest.raises(InvalidInput, match="give one such as") as err:
        check_config("10.5.0.1/16", 24, 2)
    assert err.value.where == "flannel.network"


LAB = """version: 1
name: fl
hosts: {h1: {kind: simulated}, h2: {kind: simulated}}
switch: {subnet: 198.18.110.0/24}
flannel: {network: 10.5.0.0/16, backend: host-gw}
networks:
  f1: {driver: dockerctl-flannel, host: h1}
  f2: {driver: dockerctl-flannel, host: h2}
containers:
  a: {host: h1, networks: [f1]}
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("flannel: {network: 10.5.0.0/16, backend: host-gw}\n", "", 6, "add flannel:"),
        ("network: 10.5.0.0/16,", "network: 10.5.0.0/23,", 5, "fewer than its 2 host(s)"),
        ("backend: host-gw", "backend: udp", 5, "'host-gw' or 'vxlan'"),
        (
            "f2: {driver: dockerctl-flannel, host: h2}",
            "f2: {driver: dockerctl-flannel, host: h1}",
            8,
            "one per host",
        ),
        (
            "f2: {driver: dockerctl-flannel, host: h2}",
            "f2: {driver: dockerctl-flannel, host: h2, subnet: 10.5.9.0/24}",
            8,
            "leave them out",
        ),
        ("h2: {kind: simulated}}", "here: {kind: local}}", 5, "two or more simulated hosts"),
    ],
)
def test_bad_flannel_input_names_the_line(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    assert old in LAB
    text = LAB.replace(old, new)
    if "here:" in new:
        text = text.replace("host: h2}", "host: here}")
    path = tmp_path / "fl.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    assert words in caught.value.message, caught.value.message
    assert caught.value.where == f"{path}:{line}", caught.value.where


@pytest.mark.parametrize(
    ("expect", "drop_section", "words"),
    [
        (
            "- {claim: X11, flannel: {hosts: [h1, h9]}}",
            False,
            "'h9' is not a flannel host of this playbook (h1, h2)",
        ),
        ("- {claim: X11, lease_removed: {host: h9}}", False, "'h9' is not a flannel host"),
        ("- {claim: X11, lease_removed: {host: ''}}", False, "'' is not a flannel host"),
        (
            "- {claim: X11, flannel: {}}",
            True,
            "flannel proves flannel's model: add flannel: {network: 10.5.0.0/16",
        ),
    ],
)
def test_flannels_proofs_name_its_hosts(tmp_path: Path, expect: str, drop_section: bool, words: str) -> None:
    """flannel's expectations name hosts, checked against the hosts the model runs on (its SECTION's
    `proofs`), not as containers."""
    text = LAB + "expect:\n  " + expect + "\n"
    if drop_section:
        text = text.replace("flannel: {network: 10.5.0.0/16, backend: host-gw}\n", "").replace(
            "dockerctl-flannel", "bridge"
        )
        text = (
            text.replace(", host: h1}", "}")
            .replace(", host: h2}", "}")
            .replace("{host: h1, networks", "{networks")
        )
    path = tmp_path / "fl.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    assert words in caught.value.message, caught.value.message
    line = text.splitlines().index("  " + expect) + 1  # the expectation's own line
    assert caught.value.where == f"{path}:{line}", caught.value.where
    ok = tmp_path / "ok.yaml"
    ok.write_text(
        LAB
        + "expect:\n  - {claim: X11, flannel: {hosts: [h2]}}\n  - {claim: X11, lease_removed: {host: h1}}\n"
    )
    assert [e.containers() for e in load_playbook(ok).expect] == [[], []]
