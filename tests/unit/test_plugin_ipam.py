"""What the lab network plugins share (plugins/remote_net.py), through weave's driver: which host calls
(by its network namespace's inode), addresses handed out from the calling host's range, a wanted address
refused when taken or outside, the state on disk that a restarted plugin answers from. No engine and
no kernel: the namespace files are plain files in a temporary directory."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from dockerctl.hosts.records import CorruptRecord
from dockerctl.netmodels.weave import fabric as weave
from dockerctl.netmodels.weave.driver import GATEWAY_TYPE, WeaveDriver
from dockerctl.plugins import remote_net
from dockerctl.plugins.protocol import Caller, PluginError
from dockerctl.plugins.remote_net import pick_address


@pytest.fixture
def callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Caller]:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    netns = tmp_path / "netns"
    netns.mkdir()
    monkeypatch.setattr(remote_net, "NETNS_DIR", str(netns))
    out = {}
    for name in ("wv1", "wv2"):
        (netns / name).write_text("")
        out[name] = Caller(pid=1, netns=os.stat(netns / name).st_ino)
    return out


def _lab() -> weave.WeaveLab:
    return weave.WeaveLab("w", {"wv1": "198.18.113.10", "wv2": "198.18.113.11"}, ip_range="10.32.0.0/28")


def _ask(d: WeaveDriver, who: Caller, address: str = "") -> str:
    return str(d.request_address({"PoolID": "p", "Address": address}, who)["Address"])


def test_addresses_come_from_the_calling_hosts_range_and_survive_a_restart(
    callers: dict[str, Caller],
) -> None:
    d = WeaveDriver(_lab())
    # 10.32.0.0/28 split in two: wv1 has .0/29 (gateway .1), wv2 .8/29 (gateway .9); every address is /28
    assert [_ask(d, callers["wv1"]), _ask(d, callers["wv1"]), _ask(d, callers["wv2"])] == [
        "10.32.0.2/28",
        "10.32.0.3/28",
        "10.32.0.10/28",
    ]
    gateway = d.request_address({"Options": {"RequestAddressType": GATEWAY_TYPE}}, callers["wv2"])
    assert gateway["Address"] == "10.32.0.9/28"
    again = WeaveDriver(_lab())  # the plugin restarted: it answers from its state on disk
    assert _ask(again, callers["wv1"]) == "10.32.0.4/28"
    again.release_address({"Address": "10.32.0.2"}, callers["wv1"])
    assert _ask(WeaveDriver(_lab()), callers["wv1"]) == "10.32.0.2/28"


def test_a_wanted_address_must_be_free_and_in_the_hosts_range(callers: dict[str, Caller]) -> None:
    d = WeaveDriver(_lab())
    assert _ask(d, callers["wv1"], "10.32.0.5") == "10.32.0.5/28"
    with pytest.raises(PluginError, match=r"10\.32\.0\.5 is not a free address of wv1's allocation range"):
        _ask(d, callers["wv1"], "10.32.0.5")
    with pytest.raises(PluginError, match=r"10\.32\.0\.12 is not a free address of wv1's"):
        _ask(d, callers["wv1"], "10.32.0.12")  # wv2's range


def test_a_full_range_and_an_unknown_caller_are_refused(callers: dict[str, Caller]) -> None:
    d = WeaveDriver(_lab())
    got = {_ask(d, callers["wv2"]) for _ in range(5)}  # .10–.14: the /29 less its gateway
    assert len(got) == 5
    with pytest.raises(PluginError, match=r"wv2.s allocation range 10\.32\.0\.8/29 is full"):
        _ask(d, callers["wv2"])
    with pytest.raises(PluginError, match="is not a weave host of lab w; its hosts are wv1, wv2"):
        _ask(d, Caller(pid=42, netns=1))


def test_pick_address_takes_the_first_free_candidate() -> None:
    net = ipaddress.IPv4Network("10.5.1.0/29")
    assert pick_address(list(net.hosts())[1:], net, {"10.5.1.2"}, "", "h1's subnet") == "10.5.1.3"
    assert pick_address(net.hosts(), net, set(), "10.5.1.6", "h1's subnet") == "10.5.1.6"
    with pytest.raises(PluginError, match="h1's subnet is full"):
        pick_address(net.hosts(), net, {str(ip) for ip in net.hosts()}, "", "h1's subnet")


def test_veth_names_keep_each_models_interface_names() -> None:
    """The names the kernel shows (and `audit`, `net cnm` and calico's chains look for): 15 characters at
    the most, calico's host end `cali…` as Felix names it."""
    from dockerctl.netmodels.calico.driver import CalicoDriver
    from dockerctl.netmodels.flannel.driver import FlannelDriver

    eid = "0123456789abcdef0123"
    assert CalicoDriver.veth_names(eid) == ("cali0123456789a", "temp0123456789a")
    assert FlannelDriver.veth_names(eid) == ("vfl0123456789", "cfl0123456789")
    assert WeaveDriver.veth_names(eid) == ("vwe0123456789", "cwe0123456789")


def test_lab_records_save_load_and_forget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path))
    lab = _lab()
    weave.save(lab)
    assert (tmp_path / "weave" / "w" / "lab.json").is_file()
    assert weave.load("w") == lab
    assert lab.dir == tmp_path / "weave" / "w"
    (tmp_path / "weave" / "w" / "lab.json").write_text('{"lab": "w"}')  # a record this version cannot read
    with pytest.raises(CorruptRecord, match=r"weave/w/lab\.json"):  # never taken for "no record"
        weave.load("w")
    weave.forget("w")
    assert not (tmp_path / "weave" / "w").exists()
    assert weave.load("w") is None
