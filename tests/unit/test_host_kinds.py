"""The host-kind table (spec/host_kinds.py) drives what a playbook may say of each kind of host."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.spec.host_kinds import KINDS
from dockerctl.spec.playbook import Playbook, load_playbook


def _pb(hosts: str, extra: str = "", *, tmp: Path) -> Playbook:
    path = tmp / "hk.yaml"
    path.write_text(f"version: 1\nname: hk\nhosts:\n{hosts}{extra}")
    return load_playbook(path)


def test_every_kind_is_described_once() -> None:
    assert set(KINDS) == {"local", "simulated", "remote", "vm"}
    assert [k for k in KINDS.values() if k.this_machine] == [KINDS["local"]]
    assert [k.name for k in KINDS.values() if k.lab_daemons] == ["simulated"]


def test_switch_ports_follow_the_table(tmp_path: Path) -> None:
    pb = _pb(
        "  a: {kind: local}\n  s: {kind: simulated}\n  v: {kind: vm}\n  r: {kind: remote, url: 'tcp://10.0.0.5:2375'}\n",
        tmp=tmp_path,
    )
    assert pb.has_switch()
    assert [n for n in pb.hosts if pb.on_switch(n)] == ["s", "v"]
    assert set(pb.lab_addresses()) == {"a", "s", "v"}  # local is the switch's gateway
    no_switch = _pb("  a: {kind: local}\n  v: {kind: vm}\n", tmp=tmp_path)
    assert not no_switch.has_switch() and not no_switch.on_switch("v")
    with_address = _pb(
        "  a: {kind: local}\n  v: {kind: vm, address: 198.18.99.20}\n",
        "switch: {subnet: 198.18.99.0/24}\n",
        tmp=tmp_path,
    )
    assert with_address.on_switch("v")


@pytest.mark.parametrize(
    ("hosts", "says"),
    [
        ("  r: {kind: remote}\n", "a remote host needs url"),
        ("  s: {kind: simulated, url: 'tcp://x:1'}\n", "url is for remote hosts"),
        ("  r: {kind: remote, url: 'tcp://x:1', address: 198.18.1.5}\n", "address is the lab-switch address"),
        ("  s: {kind: simulated, memory: 2048}\n", "memory and cpus size a VM host"),
        ("  a: {kind: local}\n  b: {kind: local}\n", "at most one host can be this engine"),
    ],
)
def test_what_a_kind_may_not_have_is_refused(hosts: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=says):
        _pb(hosts, tmp=tmp_path)


def test_fabric_and_spec_describe_the_same_kinds() -> None:
    from dockerctl.fabric.host_kinds import KINDS as FABRIC

    assert set(FABRIC) == set(KINDS)
    assert {n for n, k in FABRIC.items() if k.this_machine} == {n for n, k in KINDS.items() if k.this_machine}


def test_a_record_is_reached_the_way_its_kind_says() -> None:
    from dockerctl.fabric.lab_host_records import HostRecord
    from dockerctl.fabric.labhosts import is_this_machine, kernel_of, ssh_config_of
    from dockerctl.hosts import LocalHost, NetnsHost

    sim = HostRecord("h1", "simulated", "unix:///run/dctl-h1.sock", "198.18.100.10", "172.20.0.1/24")
    here = HostRecord("me", "local", "unix:///var/run/docker.sock")
    k = kernel_of(sim)
    assert isinstance(k, NetnsHost) and k.namespace == "h1"
    assert isinstance(kernel_of(here), LocalHost)
    assert is_this_machine(here) and not is_this_machine(sim)
    assert ssh_config_of(sim) is None


def test_what_runs_only_against_this_machine_asks_the_hosts_traits(tmp_path: Path) -> None:
    """net prove and vol compare refuse an engine whose network or files are not this machine's,
    before touching the engine (which here is nothing at all)."""
    from types import SimpleNamespace

    from dockerctl.errors import InvalidInput
    from dockerctl.hosts import LocalHost, NetnsHost
    from dockerctl.hosts.tree import TreeHost
    from dockerctl.ops.network import prove_network
    from dockerctl.ops.storage import compare_storage

    assert (LocalHost().local_files, LocalHost().local_network) == (True, True)
    assert (NetnsHost("h1").local_files, NetnsHost("h1").local_network) == (True, False)
    tree = TreeHost(tmp_path)
    assert (tree.local_files, tree.local_network) == (False, False)
    for host in (NetnsHost("h1"), tree):
        with pytest.raises(InvalidInput) as caught:
            prove_network(SimpleNamespace(host=host, url="unix:///x"), "nat")  # type: ignore[arg-type]
        assert caught.value.where == "-H/--host"
    with pytest.raises(InvalidInput) as caught:
        compare_storage(SimpleNamespace(host=tree, url="unix:///x"))  # type: ignore[arg-type]
    assert "runs elsewhere" in caught.value.message


def test_the_walk_leaves_out_a_host_that_does_not_answer_and_shares_the_local_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No engine answers at tmp_path: the simulated host is left out (or, asked to, its error raised);
    the local host's engine is `local` itself, which close_engines leaves open."""
    import docker

    from dockerctl.engines.engine import Engine
    from dockerctl.errors import DockerctlError
    from dockerctl.fabric import labhosts
    from dockerctl.fabric.lab_host_records import HostRecord
    from dockerctl.hosts import LocalHost

    monkeypatch.setattr("dockerctl.engines.client.ATTEMPTS", 1)
    silent = HostRecord("ghost", "simulated", f"unix://{tmp_path}/ghost.sock")
    here = HostRecord("me", "local", f"unix://{tmp_path}/local.sock")
    closed: list[str] = []

    class Client(docker.DockerClient):
        def close(self) -> None:
            closed.append("local")
            super().close()

    local = Engine("local", Client(base_url=here.url, version="1.43"), LocalHost(), here.url)
    why: dict[str, str] = {}
    got = labhosts.walk([here, silent], local, why=why)
    assert list(why) == ["ghost"] and "ghost" in why["ghost"]
    assert [(h.name, e.client is local.client) for h, e in got] == [("me", True)]
    with pytest.raises(DockerctlError, match="ghost"):
        labhosts.walk([here, silent], local, skip_silent=False)
    labhosts.close_engines([e for _, e in got], local)
    assert closed == []  # the walk's engines are the caller's, but `local`'s connection stays open
    labhosts.close_engines([e for _, e in got])
    assert closed == ["local"]


def test_an_engine_at_a_lab_hosts_url_is_that_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`as_lab_host` (every command's engine): a URL a simulated host has → its name and its namespace's
    kernel; the machine's own engine, even when a lab lists it as its local host, or any other URL →
    unchanged. Read from the records alone."""
    from types import SimpleNamespace

    from dockerctl.fabric.lab_engine import as_lab_host
    from dockerctl.fabric.lab_host_records import HostRecord, LabHosts, save
    from dockerctl.hosts import LocalHost, NetnsHost

    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    here = "unix:///var/run/docker.sock"
    save(
        LabHosts(
            "lab1",
            "198.18.100.0/24",
            {
                "me": HostRecord("me", "local", here),
                "h1": HostRecord("h1", "simulated", "unix:///run/dctl-h1.sock", "198.18.100.10"),
            },
        )
    )

    def engine(url: str) -> SimpleNamespace:
        return SimpleNamespace(name="local", url=url, host=LocalHost())

    sim = as_lab_host(engine("unix:///run/dctl-h1.sock"))  # type: ignore[arg-type]
    assert sim.name == "h1" and isinstance(sim.host, NetnsHost) and sim.host.namespace == "h1"
    for url in (here, "unix:///run/other.sock"):
        same = as_lab_host(engine(url))  # type: ignore[arg-type]
        assert same.name == "local" and isinstance(same.host, LocalHost)
