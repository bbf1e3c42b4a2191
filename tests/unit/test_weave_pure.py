"""weave's model, pure parts (seed X12): the one range split into per-host allocation ranges, each host's
bridge address, the resolver's address, and the playbook's rules (errors at FILE:LINE)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.netmodels.weave import fabric as weave
from dockerctl.netmodels.weave.section import check_range, split_range
from dockerctl.spec.playbook import load_playbook


def test_the_range_is_split_among_the_hosts() -> None:
    assert split_range("10.32.0.0/12", 1) == ["10.32.0.0/12"]
    assert split_range("10.32.0.0/12", 2) == ["10.32.0.0/13", "10.40.0.0/13"]
    assert split_range("10.32.0.0/12", 3) == ["10.32.0.0/14", "10.36.0.0/14", "10.40.0.0/14"]
    wl = weave.WeaveLab("w", {"wv1": "198.18.113.10", "wv2": "198.18.113.11"})
    assert (wl.allocation("wv2"), wl.gateway("wv1"), wl.gateway("wv2")) == (
        "10.40.0.0/13",
        "10.32.0.1",
        "10.40.0.1",
    )
    assert wl.resolver == "10.32.0.1" and wl.prefixlen == 12  # one subnet: every address is /12


def test_names_file_is_dnsmasqs_addn_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path))
    wl = weave.WeaveLab("w", {"wv1": "198.18.113.10", "wv2": "198.18.113.11"})
    weave.write_names(wl, {"b": "10.40.0.2", "a": "10.32.0.2"})
    assert weave.hosts_file(wl).read_text() == "10.32.0.2 a.weave.local\n10.40.0.2 b.weave.local\n"


def test_a_range_too_small_is_refused() -> None:
    check_range("10.32.0.0/12", 8, "weave.ip_range")
    with pytest.raises(InvalidInput, match="too small"):
        check_range("10.32.0.0/28", 4, "weave.ip_range")
    with pytest.raises(InvalidInput, match="give one such as"):
        check_range("10.32.0.1/12", 2, "weave.ip_range")


PB = (Path(__file__).parents[2] / "playbooks" / "weave-mesh.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("weave: {ip_range: 10.32.0.0/12}", "weave: {ip_range: 10.32.0.0/30}", "too small"),
        ("w2: {driver: dockerctl-weave, host: wv2}", "w2: {driver: dockerctl-weave, host: wv1}", "one per host"),
        ("w2: {driver: dockerctl-weave, host: wv2}", "w2: {driver: dockerctl-weave, host: wv2, subnet: 10.1.0.0/16}",
         "takes weave's range; leave them out"),
        ("weave: {ip_range: 10.32.0.0/12}", "weave: {range: 10.32.0.0/12}", "range"),
    ],
)  # fmt: skip
def test_bad_weave_input_names_the_line(tmp_path: Path, old: str, new: str, words: str) -> None:
    assert old in PB
    text = PB.replace(old, new)
    path = tmp_path / "weave.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    assert words in caught.value.message, caught.value.message
    line = next(i for i, t in enumerate(text.splitlines(), 1) if new in t)
    assert caught.value.where == f"{path}:{line}", (caught.value.where, line)


def test_containers_on_weave_networks_use_the_first_hosts_resolver(tmp_path: Path) -> None:
    """The model's section says which name server its networks' containers use (X12), and only theirs."""
    from dockerctl.netmodels.calico.section import DRIVER as CALICO
    from dockerctl.netmodels.weave.section import DRIVER as WEAVE

    path = tmp_path / "weave.yaml"
    path.write_text(PB)
    pb = load_playbook(path)
    assert pb.weave is not None
    first = ipaddress.IPv4Network(split_range(pb.weave.ip_range, len(pb.model_hosts("weave")))[0])
    assert pb.resolver_of(WEAVE) == str(first.network_address + 1)  # the first host's bridge
    assert pb.resolver_of(CALICO) is None and pb.resolver_of("bridge") is None
