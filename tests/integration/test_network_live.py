"""Namespaces and single-host networking on the real engine (seed K2–K8, N1–N9, C1–C3, O1–O2, X3–X10),
each claim shown by the kernel or by traffic, the negative ones included. Every namespace, veth and
network a test makes is removed in a finally block or by its lab label."""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid

import docker
import pytest

from dockerctl.apply.networks import connect, create_network, remove_network
from dockerctl.apply.swarm import swarm_init, swarm_leave, swarm_state
from dockerctl.engines.engine import Engine, local_engine
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.hosts import LocalHost
from dockerctl.observe.iproute import ip_json, parse_links
from dockerctl.observe.namespaces import namespace_ids
from dockerctl.ops.limits import run_container
from dockerctl.ops.namespaces import ns_report
from dockerctl.ops.network import net_check, net_path, prove_network
from dockerctl.spec.models import ContainerSpec
from dockerctl.spec.network import NetworkSpec
from dockerctl.verify.verdict import Verdict


def _run(
    engine: docker.DockerClient, image: str, lab: str, name: str, **kw: object
) -> docker.models.containers.Container:
    report = run_container(
        local_engine(engine), ContainerSpec(image=image, lab=lab, name=f"{lab}-{name}", **kw), verify=False
    )  # type: ignore[arg-type]
    return engine.containers.get(report.container_id)


def _net(engine: docker.DockerClient, lab: str, name: str, **kw: object) -> str:
    create_network(
        local_engine(engine), NetworkSpec.model_validate({"name": f"{lab}-{name}", "lab": lab, **kw})
    )
    return f"{lab}-{name}"


def test_three_networks_exist(engine: docker.DockerClient) -> None:
    names = {n.name for n in engine.networks.list()}
    assert {"bridge", "host", "none"} <= names  # seed N1


def test_none_has_only_lo_and_host_shares_the_host_stack(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    none = _run(engine, base_image, lab, "none", network="none")
    links = parse_links(ip_json(LocalHost(), ["addr"], none.attrs["State"]["Pid"]))
    assert [link.name for link in links] == ["lo"]  # seed N2
    host = _run(engine, base_image, lab, "host", network="host")
    assert (
        namespace_ids(LocalHost(), host.attrs["State"]["Pid"])["net"]
        == namespace_ids(LocalHost(), "self")["net"]
    )  # seed N3


def test_default_bridge_veth_pair_and_masquerade(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    c = _run(engine, base_image, lab, "plain")
    path = net_path(eng, c.id)
    eth0 = next(h for h in path.hops if h.interface["name"] == "eth0")
    assert eth0.bridge == "docker0" and eth0.network == "bridge"  # seed N4
    host_peer = next(
        link
        for link in parse_links(ip_json(LocalHost(), ["link"]))
        if link.ifindex == eth0.interface["peer_ifindex"]
    )
    assert host_peer.master == "docker0" and host_peer.name.startswith("veth")
    assert eth0.masquerade and "MASQUERADE" in eth0.masquerade  # seed O1 (the rule)
    assert "127.0.0.11" not in path.dns


def test_subnet_static_ip_and_n8_refusal(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    sub = _net(engine, lab, "sub", subnet="172.31.211.0/24", gateway="172.31.211.1")
    auto = _net(engine, lab, "auto")
    c = _run(engine, base_image, lab, "static", network=sub, ip="172.31.211.10")
    assert c.attrs["NetworkSettings"]["Networks"][sub]["IPAddress"] == "172.31.211.10"  # seed N7, N8
    before = len(engine.containers.list(all=True, sparse=True))
    with pytest.raises(InvalidInput, match="without --subnet"):
        _run(engine, base_image, lab, "x", network=auto, ip="172.30.0.9")
    with pytest.raises(InvalidInput, match="outside"):
        _run(engine, base_image, lab, "y", network=sub, ip="10.1.1.1")
    assert len(engine.containers.list(all=True, sparse=True)) == before


def test_isolation_until_connect_and_dns_only_on_user_networks(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    front, back = _net(engine, lab, "front"), _net(engine, lab, "back")
    a = _run(engine, base_image, lab, "a", network=front)
    b = _run(engine, base_image, lab, "b", network=front)
    c = _run(engine, base_image, lab, "c", network=back)
    assert net_check(eng, a.name, b.name, by="name").ok  # C2: by name on a user network
    assert net_check(eng, a.name, b.name, by="ip").ok
    isolated = net_check(eng, a.name, c.name, expect="isolated")
    assert isolated.ok and "no common network" in isolated.notes[0]  # C1
    connect(engine, back, a.name)  # seed N9
    assert net_check(eng, a.name, c.name, by="name").ok
    d1 = _run(engine, base_image, lab, "d1")
    d2 = _run(engine, base_image, lab, "d2")
    assert net_check(eng, d1.name, d2.name, by="ip").ok
    by_name = net_check(eng, d1.name, d2.name, by="name", expect="isolated")  # default bridge: no DNS (C2)
    assert by_name.ok and any("default bridge" in n for n in by_name.notes)


def test_joined_containers_talk_over_loopback(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    web = _run(
        engine,
        base_image,
        lab,
        "web",
        command=["nc", "-ll", "-p", "8080", "-e", "echo", "joined"],
    )
    app = _run(engine, base_image, lab, "app", network=f"container:{web.name}")
    out = app.exec_run(["sh", "-c", "nc -w 2 127.0.0.1 8080 </dev/null"]).output.decode().strip()
    assert out == "joined"  # seed C3
    report = ns_report(eng, web.name, [app.name])
    pair = next(p for p in report.pairs if {p["a"], p["b"]} == {web.name, app.name})
    assert pair["net"] == "shared" and pair["uts"] == "private" and pair["pid"] == "private"
    assert any("joins that container's network namespace" in e for e in report.explanations)


def test_hostname_default_and_set(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    plain = _run(engine, base_image, lab, "h1")
    named = _run(engine, base_image, lab, "h2", hostname="db1")
    report = ns_report(eng, plain.name, [named.name])
    text = "\n".join(report.explanations)
    assert f"hostname '{plain.id[:12]}' — the default" in text  # seed K4
    assert "hostname 'db1' — set with -h/--hostname" in text
    assert any("no remapping" in e or "remapped" in e for e in report.explanations)  # K8


def test_outbound_nat_and_published_port(engine: docker.DockerClient, base_image: str, eng: Engine) -> None:
    before = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    report = prove_network(eng, "all")
    verdicts = {c.claim: c.verdict for c in report.checks}
    assert verdicts == {"O1": Verdict.ENFORCED, "O2": Verdict.ENFORCED}, report.checks
    nat = next(c for c in report.checks if c.claim == "O1")
    assert nat.observed == "connection seen from 198.18.0.1"
    after = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    assert after == before  # the outside namespace is gone


def test_bad_network_input_changes_nothing(engine: docker.DockerClient, base_image: str, lab: str) -> None:
    taken = _net(engine, lab, "taken", subnet="172.31.221.0/24")
    before = {n.name for n in engine.networks.list()}
    with pytest.raises(InvalidInput, match="overlaps"):
        _net(engine, lab, "overlap", subnet="172.31.221.128/25")
    with pytest.raises(InvalidInput, match="does not exist"):
        _net(engine, lab, "mv", driver="macvlan", subnet="198.18.30.0/24", options={"parent": "nosuch0"})
    with pytest.raises(Conflict, match="exists already"):
        _net(engine, lab, "taken", subnet="172.31.222.0/24")
    assert {n.name for n in engine.networks.list()} == before
    c = _run(engine, base_image, lab, "on", network=taken)
    with pytest.raises(Conflict, match="already connected"):
        connect(engine, taken, c.name)
    with pytest.raises(Conflict, match="containers attached"):
        remove_network(engine, taken)
    with pytest.raises(NotFound):
        _run(engine, base_image, lab, "nonet", network=f"absent-{uuid.uuid4().hex[:6]}")
    with pytest.raises(NotFound):
        _run(engine, base_image, lab, "nojoin", network=f"container:absent-{uuid.uuid4().hex[:6]}")


def test_macvlan_on_a_lab_veth_and_one_network_per_parent(engine: docker.DockerClient, lab: str) -> None:
    tag = uuid.uuid4().hex[:6]
    parent, peer = f"dctlmv{tag}a", f"dctlmv{tag}b"
    subprocess.run(["ip", "link", "add", parent, "type", "veth", "peer", "name", peer], check=True)
    try:
        subprocess.run(["ip", "link", "set", parent, "up"], check=True)
        first = _net(
            engine, lab, "mac1", driver="macvlan", subnet="198.18.40.0/24", options={"parent": parent}
        )
        assert engine.networks.get(first).attrs["Driver"] == "macvlan"  # seed X7, X8
        with pytest.raises(InvalidInput, match="one macvlan network per interface"):  # seed X10
            _net(engine, lab, "mac2", driver="macvlan", subnet="198.18.41.0/24", options={"parent": parent})
    finally:
        with contextlib.suppress(Exception):
            engine.networks.get(f"{lab}-mac1").remove()
        subprocess.run(["ip", "link", "del", parent], check=False, capture_output=True)


def test_overlay_on_a_single_node_swarm(
    engine: docker.DockerClient, base_image: str, lab: str, eng: Engine
) -> None:
    if swarm_state(engine) != "inactive":
        pytest.skip("the engine is already in a swarm: leave it alone")
    gwbridge_before = bool(engine.networks.list(names=["docker_gwbridge"]))
    try:
        swarm_init(engine, "127.0.0.1")
        ov = _net(engine, lab, "ov", driver="overlay", attachable=True)
        c = _run(engine, base_image, lab, "ov1", network=ov)
        path = net_path(eng, c.id)
        names = {h.interface["name"]: h for h in path.hops}
        assert names["eth1"].bridge == "docker_gwbridge"  # seed X4
        assert (
            names["eth0"].peer is None and "overlay" in names["eth0"].note
        )  # X5: peer in the overlay's netns
        assert json.dumps(names["eth0"].interface["addresses"]).count("10.0.") == 1  # X6 default 10.0.X.0/24
    finally:
        for cont in engine.containers.list(
            all=True, sparse=True, filters={"label": f"io.dockerctl.lab={lab}"}
        ):
            cont.remove(force=True)
        with contextlib.suppress(Exception):
            engine.networks.get(f"{lab}-ov").remove()
        swarm_leave(engine, force=True)
    assert swarm_state(engine) == "inactive"
    # the docker_gwbridge this swarm made went with it (one from before would have stayed)
    assert bool(engine.networks.list(names=["docker_gwbridge"])) == gwbridge_before
