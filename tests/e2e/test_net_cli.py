"""`net` and `ns` as a user runs them: bad network input names the flag and creates nothing."""

from __future__ import annotations

import json

import docker
import pytest

from tests.e2e.conftest import Cli


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--subnet", "172.31.250.7/24"], "--subnet"),
        (["--subnet", "172.31.250.0/24", "--gateway", "10.0.0.1"], "--gateway"),
        (["--gateway", "10.0.0.1"], "--gateway"),
        (["-d", "macvlan", "--subnet", "198.18.60.0/24", "-o", "parent=nosuch0"], "-o/--opt"),
        (["-d", "ipvlan"], "-d/--driver"),
    ],
)
def test_bad_network_input(
    cli: Cli, engine: docker.DockerClient, lab: str, args: list[str], flag: str
) -> None:
    before = {n.name for n in engine.networks.list()}
    done = cli("net", "create", f"{lab}-bad", "--lab", lab, *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"dockerctl: error: {flag}:"), done.stderr
    assert {n.name for n in engine.networks.list()} == before


def test_net_and_ns_commands(cli: Cli, engine: docker.DockerClient, base_image: str, lab: str) -> None:
    net = f"{lab}-n"
    assert cli("net", "create", net, "--lab", lab, "--subnet", "172.31.251.0/24").returncode == 0
    assert (
        cli(
            "run", "--lab", lab, "--name", f"{lab}-a", "--network", net, "--ip", "172.31.251.5", base_image
        ).returncode
        == 0
    )
    assert cli("run", "--lab", lab, "--name", f"{lab}-b", "--network", net, base_image).returncode == 0
    check = cli("net", "check", f"{lab}-b", f"{lab}-a", "--by", "name", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["ok"] is True
    path = json.loads(cli("net", "path", f"{lab}-a", "--json").stdout)
    eth0 = next(i for i in path["interfaces"] if i["interface"]["name"] == "eth0")
    assert eth0["interface"]["addresses"] == ["172.31.251.5/24"] and eth0["network"] == net
    assert path["dns"] == ["127.0.0.11"]
    ns = json.loads(cli("ns", f"{lab}-a", "--with", f"{lab}-b", "--json").stdout)
    pair = next(p for p in ns["pairs"] if p["a"] == f"{lab}-a" and p["b"] == f"{lab}-b")
    assert pair["net"] == "private" and pair["user"] == "shared"
    listed = {n["name"]: n for n in json.loads(cli("net", "ls", "--json").stdout)}
    assert sorted(listed[net]["containers"]) == [f"{lab}-a", f"{lab}-b"]
    assert cli("net", "rm", net).returncode == 5  # containers attached
    assert cli("net", "check", f"{lab}-a", f"{lab}-b", "--expect", "isolated").returncode == 1
