"""A network model plugged in from outside dockerctl's tree: the check that a model is its own code (here
one file; in the tree, a folder netmodels/<name>/) plus one registry line (spec/netmodels.py, which
takes its `NetworkModel` and its playbook section's class) — nothing else.

The model here is a plain routed one: each simulated host routes the other hosts' bridge subnets through
their addresses on the lab switch and accepts forwarded traffic to its own (the engine's FORWARD policy
drops it). It lives in this file only. A lab played with it, in this process, holds a ping each way
between containers on two hosts; its routes are read from each host's kernel while the lab is up; after
the play, what the model made and its record are gone and the machine is as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from dockerctl.engines.engine import Engine
from dockerctl.errors import InvalidInput
from dockerctl.fabric.hostlinks import alias
from dockerctl.hosts import NetnsHost
from dockerctl.hosts.state import state_dir
from dockerctl.netmodels.base import NetworkModel, Progress
from dockerctl.ops.play import play
from dockerctl.spec import netmodels as registry
from dockerctl.spec.playbook import Playbook, load_playbook

from .test_labs_across_hosts import clean_machine  # noqa: F401  (the machine before and after)


class RoutedSection(BaseModel):
    """`routed: {}` — the lab's bridge networks are routed between its hosts."""

    model_config = ConfigDict(extra="forbid")


class Routed(NetworkModel):
    name = "routed"
    tools, needs, packages = ("ip", "iptables"), "iproute2 and iptables", "iproute2 iptables"

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}  # host → its routes, read while the lab is up

    @staticmethod
    def _record(lab: str) -> Path:
        return state_dir() / "routed" / f"{lab}.json"

    def lab_of(self, pb: Playbook) -> dict[str, Any] | None:
        if pb.section(self.name) is None:
            return None
        addresses = pb.lab_addresses()
        subnets = {
            h: [str(n.subnet) for n in pb.networks.values() if n.host == h and n.subnet] for h in pb.hosts
        }
        return {
            "lab": pb.name,
            "hosts": {h: {"address": addresses[h], "subnets": subnets[h]} for h in pb.hosts},
        }

    def summary(self, rec: dict[str, Any]) -> str:
        return f"static routes between {', '.join(rec['hosts'])}"

    def _rules(self, lab: str, subnets: list[str]) -> list[list[str]]:
        return [
            ["DOCKER-USER", "-d", s, "-m", "comment", "--comment", alias(lab), "-j", "ACCEPT"]
            for s in subnets
        ]

    def make(self, pb: Playbook, rec: dict[str, Any]) -> None:
        self._record(pb.name).parent.mkdir(parents=True, exist_ok=True)
        self._record(pb.name).write_text(json.dumps(rec))
        for host, mine in rec["hosts"].items():
            k = NetnsHost(host)
            for other, theirs in rec["hosts"].items():
                for subnet in theirs["subnets"] if other != host else []:
                    assert k.run(["ip", "route", "replace", subnet, "via", theirs["address"]]).ok
            for rule in self._rules(pb.name, mine["subnets"]):
                assert k.run(["iptables", "-I", *rule]).ok

    def after_containers(self, pb: Playbook, engines: dict[str, Engine], say: Progress) -> None:
        say("routed: the routes each host holds")
        for host in pb.hosts:
            done = NetnsHost(host).run(["ip", "-json", "route", "show"])
            self.seen[host] = sorted(
                f"{r['dst']} via {r['gateway']}" for r in json.loads(done.stdout) if "gateway" in r
            )

    def recorded(self, lab: str) -> bool:
        return self._record(lab).exists()

    def take_down(self, lab: str) -> None:
        try:
            rec = json.loads(self._record(lab).read_text())
        except (OSError, ValueError):
            return
        for host, mine in rec["hosts"].items():
            k = NetnsHost(host)
            for other, theirs in rec["hosts"].items():
                for subnet in theirs["subnets"] if other != host else []:
                    k.run(["ip", "route", "del", subnet])
            for rule in self._rules(lab, mine["subnets"]):
                k.run(["iptables", "-D", *rule])
        self._record(lab).unlink()


LAB = """version: 1
name: routed
hosts:
  rth1: {kind: simulated}
  rth2: {kind: simulated}
switch: {subnet: 198.18.115.0/24}
routed: {}
networks:
  n1: {host: rth1, subnet: 10.77.1.0/24}
  n2: {host: rth2, subnet: 10.77.2.0/24}
containers:
  a: {host: rth1, networks: [n1]}
  b: {host: rth2, networks: [n2]}
expect:
  - {claim: X9, reachable: {from: a, to: b, by: ip}, note: "routed by rth1, then rth2 forwards it"}
  - {claim: X9, reachable: {from: b, to: a, by: ip}}
"""


@pytest.fixture
def routed() -> Iterator[Routed]:
    model = Routed()
    registry.register(model.name, model=model, schema=RoutedSection)  # its one registry line
    try:
        yield model
    finally:
        registry.unregister(model.name)


def test_a_model_plugged_in_from_outside_runs_through_the_lifecycle(
    routed: Routed,
    eng: Engine,
    clean_machine: dict[str, object],  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / "routed.yaml"
    path.write_text(LAB)
    report = play(eng, path)
    assert report.ok, [c for c in report.checks if not c.ok]
    assert [c.claim for c in report.checks] == ["X9", "X9"]
    at = load_playbook(path).lab_addresses()  # each host's address on the lab switch
    assert routed.seen == {
        "rth1": [f"10.77.2.0/24 via {at['rth2']}"],
        "rth2": [f"10.77.1.0/24 via {at['rth1']}"],
    }
    assert not routed.recorded("routed")  # its own teardown ran with the lab's


def test_its_section_is_validated_at_its_line_and_gone_with_its_registration(
    routed: Routed, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(LAB.replace("routed: {}", "routed: {hops: 2}"))
    with pytest.raises(InvalidInput) as err:
        load_playbook(path)
    assert err.value.where == f"{path}:7" and "routed.hops: unknown key 'hops'" in err.value.message
    registry.unregister(routed.name)
    path.write_text(LAB)
    with pytest.raises(InvalidInput, match="unknown key 'routed'"):
        load_playbook(path)  # without the model, the playbook's section is unknown again
