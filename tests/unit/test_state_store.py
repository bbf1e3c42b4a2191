"""One state store (issue 38): the state directory is asked for in one module, every kind of record is
kept by one typed store (written whole, only in the checked directory; read back or refused as
CorruptRecord naming its file), records earlier versions wrote still load, and `down` of a lab whose
record is corrupt still removes the rest and says which file."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

import dockerctl
from dockerctl.engines import asked_records, lab_records
from dockerctl.engines.engine import Engine
from dockerctl.errors import StateUnwritable
from dockerctl.fabric import gluster, lab_host_records, netns
from dockerctl.fabric.model_records import LabRecords
from dockerctl.hosts import LocalHost, state
from dockerctl.hosts.records import CorruptRecord
from dockerctl.ops import lifecycle
from dockerctl.ops import pool as lab_pool
from dockerctl.plugins import daemon

PACKAGE = Path(dockerctl.__file__).parent


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "state"
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(d))
    yield d


def test_the_state_directory_is_asked_for_in_one_module() -> None:
    callers = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if re.search(r"(?<!def )\bstate_dir\(\)", p.read_text())
    )
    assert callers == ["hosts/state.py"], callers


def test_every_folder_is_named_once() -> None:
    assert len(set(state.FOLDERS)) == len(state.FOLDERS)
    with pytest.raises(ValueError):
        state.model_folder("labs")  # a model's folder never clashes with one of dockerctl's
    assert state.model_folder("calico") == "calico"


@dataclass
class _Thing:
    lab: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"lab": self.lab, "size": self.size}


def _things() -> state.Records[_Thing]:
    return state.Records("thing record", "things", lambda d: _Thing(d["lab"], int(d["size"])), _Thing.to_dict)


def test_a_record_round_trips_and_is_written_whole(root: Path) -> None:
    things = _things()
    assert things.load("a") is None
    things.save("a", _Thing("a", 3))
    assert things.load("a") == _Thing("a", 3)
    assert things.stored_keys() == ["a"]
    assert json.loads((root / "things" / "a.json").read_text()) == {"lab": "a", "size": 3}
    assert [p.name for p in (root / "things").iterdir()] == ["a.json"]  # no temporary left beside it
    things.forget("a")
    things.forget("a")  # twice: nothing to forget is fine
    assert things.load("a") is None and things.stored_keys() == []


def test_a_record_is_written_only_in_the_checked_state_directory(root: Path) -> None:
    root.mkdir()
    os.chmod(root, 0o777)  # anyone could write it
    with pytest.raises(StateUnwritable, match="others can write"):
        _things().save("a", _Thing("a", 1))
    assert not (root / "things").exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [("", "empty"), ('{"lab": ', "not JSON"), ("[1]", "a JSON list"), ('{"lab": "a"}', "KeyError 'size'")],
)
def test_a_record_that_cannot_be_read_is_refused_naming_its_file(root: Path, text: str, why: str) -> None:
    path = root / "things" / "a.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(CorruptRecord) as err:
        _things().load("a")
    assert err.value.path == path and str(path) in err.value.message and why in err.value.message
    assert _things().all() == []  # a listing leaves it out; `load` says why


def test_a_key_cannot_leave_its_folder(root: Path) -> None:
    for key in ("../x", "a/b", ".hidden", ""):
        with pytest.raises(Exception, match="cannot name"):
            _things().path(key)


def test_records_of_the_previous_version_still_load(root: Path) -> None:
    """The files the hand-written stores wrote, at their paths, read back by the one store."""

    def put(rel: str, data: Any) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(data))

    put(
        f"labs/{lab_records.key('l1', 'unix:///e.sock')}.json",
        {"joined_swarm": ["h1"], "engine": "unix:///e.sock"},
    )
    put("labhosts/l1.json", {"lab": "l1", "subnet": "198.18.9.0/24", "hosts": {"h1": {"name": "h1", "kind": "simulated", "url": "unix:///run/dctl-h1.sock", "address": "198.18.9.2/24", "bip": "172.30.1.1/24"}}})  # fmt: skip
    put("requested/abc123.json", {"memory": "64m"})
    put("netns/h1.json", {"name": "h1", "lab": "l1", "host_if": "dh-h1", "ns_if": "dn-h1", "host_addr": None, "ns_addr": "198.18.9.2/24", "bridge": "dlb-x"})  # fmt: skip
    put("plugins/dctl-vol.json", {"driver": "dctl-vol", "lab": "l1", "kind": "gluster-volume", "pid": 0, "socket": "/run/docker/plugins/dctl-vol.sock", "implements": ["VolumeDriver"]})  # fmt: skip
    put("gluster/l1/pool.json", {"lab": "l1", "hosts": [{"name": "h1", "address": "198.18.9.2"}], "brick_dir": "", "driver": "dctl-vol"})  # fmt: skip
    put("routedtest/l1/lab.json", {"lab": "l1", "n": 2})
    put("etcd/l1/etcd.json", {"client": "unix:///x/client.sock:0"})

    assert lab_records.load("l1", "unix:///e.sock")["joined_swarm"] == ["h1"]
    hosts = lab_host_records.load("l1")
    assert hosts is not None and hosts.hosts["h1"].bip == "172.30.1.1/24" and hosts.subnet == "198.18.9.0/24"
    assert asked_records.load("abc123") == {"memory": "64m"}
    ns = netns.record_of("h1")
    assert ns is not None and ns.lab == "l1" and ns.bridge == "dlb-x"
    plugin = daemon.load("dctl-vol")
    assert plugin is not None and plugin.lab == "l1" and plugin.implements == ("VolumeDriver",)
    pool = gluster.load("l1")
    assert pool is not None and pool.driver == "dctl-vol" and not pool.damaged
    assert pool.root == root / "gluster" / "l1"
    model = LabRecords("routedtest", lambda d: SimpleNamespace(lab=d["lab"], n=d["n"], to_dict=lambda: d))
    rec = model.load("l1")
    assert rec is not None and rec.n == 2 and model.dir("l1") == root / "routedtest" / "l1"

    # and the one place `down` asks: every record the lab holds, of every kind
    held = {h.path.relative_to(root).as_posix() for h in state.held("l1")}
    assert {
        f"labs/{lab_records.key('l1', 'unix:///e.sock')}.json",
        "labhosts/l1.json",
        "netns/h1.json",
        "plugins/dctl-vol.json",
        "gluster/l1/pool.json",
        "routedtest/l1/lab.json",
        "etcd/l1/etcd.json",
    } <= held
    assert state.held("l2") == []


def _lab_down_with_stubs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Engine, Path, Path]:
    """lab_down with the pool and one model stubbed, each ending a 'daemon' (a file) when called."""
    model_daemon, pool_daemon = tmp_path / "model.pid", tmp_path / "pool.pid"
    model_daemon.write_text("1")
    pool_daemon.write_text("2")

    def pool_down(lab: str, *, keep_data: bool) -> list[str]:
        pool_daemon.unlink()
        return []

    monkeypatch.setattr(lab_pool, "pool_down", pool_down)  # lab_down imports it when it runs
    model = SimpleNamespace(down=lambda lab: model_daemon.unlink())
    monkeypatch.setattr(lifecycle, "models", lambda: {"m": model})
    local = Engine("local", mock.MagicMock(), LocalHost(), "unix:///nonexistent.sock")
    return local, model_daemon, pool_daemon


def test_down_of_a_lab_whose_swarm_record_is_corrupt_removes_the_rest_and_names_the_file(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, model_daemon, pool_daemon = _lab_down_with_stubs(monkeypatch, tmp_path)
    lab_host_records.save(lab_host_records.LabHosts("lab1"))  # a lab without hosts: its record goes
    bad = lab_records.RECORDS.path(lab_records.key("lab1", local.url))
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text('{"joined_swarm": [')  # cut short

    with pytest.raises(CorruptRecord) as err:
        lifecycle.lab_down(local, {}, "lab1", [])
    assert str(bad) in err.value.message
    assert not model_daemon.exists() and not pool_daemon.exists()
    assert lab_host_records.load("lab1") is None  # the hosts step ran
    assert bad.exists()  # kept: which hosts joined swarm mode is not known


def test_down_of_a_lab_whose_hosts_record_is_corrupt_removes_the_rest_and_names_the_file(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, model_daemon, pool_daemon = _lab_down_with_stubs(monkeypatch, tmp_path)
    lab_records.save("lab1", local.url, {"joined_swarm": []})
    bad = lab_host_records.RECORDS.path("lab1")
    bad.parent.mkdir(parents=True)
    bad.write_text("{}")  # not a lab hosts record

    with pytest.raises(CorruptRecord) as err:
        lifecycle.lab_down(local, {}, "lab1", [])
    assert str(bad) in err.value.message and "lab hosts record" in err.value.message
    assert not model_daemon.exists() and not pool_daemon.exists()
    assert lab_records.load("lab1", local.url) == {}  # the swarm step ran and forgot its record


def test_down_says_what_the_lab_still_holds(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, _, _ = _lab_down_with_stubs(monkeypatch, tmp_path)
    monkeypatch.setattr(state, "_KINDS", list(state._KINDS))
    things = state.Records("thing record", "things", dict, dict, lab=str)  # a kind no step removes
    things.save("lab1", {"x": 1})
    removed = lifecycle.lab_down(local, {}, "lab1", [])
    assert removed.held == [str(root / "things" / "lab1.json")]


def test_down_goes_on_when_the_lab_hosts_record_is_corrupt(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockerctl.apply.cleanup import Removed
    from dockerctl.ops import down

    bad = lab_host_records.RECORDS.path("lab1")
    bad.parent.mkdir(parents=True)
    bad.write_text('{"lab": "lab1", "hosts": ')
    seen: dict[str, Any] = {}

    def lab_down(local: Engine, engines: dict[str, Engine], lab: str, order: list[str], **_: Any) -> Removed:
        seen.update(engines=engines, order=order)
        return Removed()

    monkeypatch.setattr(down, "lab_down", lab_down)
    monkeypatch.setattr(down, "serve_again", lambda lab, pool: None)
    local = Engine("local", mock.MagicMock(), LocalHost(), "unix:///nonexistent.sock")
    down._down(local, "lab1", keep_volumes=False, volumes=False)
    assert seen == {"engines": {"local": local}, "order": ["local"]}  # the rest of the lab still goes
