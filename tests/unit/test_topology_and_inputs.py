"""LabHandle dicts and limit inputs: validated before the engine, errors saying where."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.playbook import load_playbook
from dockerctl.spec.topology import Topology


def test_limit_inputs_accept_every_written_form() -> None:
    got = limit_fields(
        {
            "memory": "64M",
            "memory_swap": -1,
            "cpu_shares": 512,
            "device_write_bps": {"/dev/vda": "30MB"},
            "device_read_bps": ["/dev/vda:10mb"],
            "device_read_iops": [{"path": "/dev/vda", "rate": 250}],
            "device_write_iops": "/dev/vda:100",
            "cpus": None,
        }
    )
    assert got == {
        "memory": 67108864,
        "memory_swap": -1,
        "cpu_shares": 512,
        "device_read_bps": [{"path": "/dev/vda", "rate": 10485760}],
        "device_write_bps": [{"path": "/dev/vda", "rate": 31457280}],
        "device_read_iops": [{"path": "/dev/vda", "rate": 250}],
        "device_write_iops": [{"path": "/dev/vda", "rate": 100}],
    }


def test_a_lab_with_references_validates() -> None:
    spec = Topology.parse(
        {
            "networks": {"front": {"subnet": "172.31.250.0/24"}},
            "volumes": {"data": {}},
            "containers": {
                "web": {
                    "networks": ["front", "bridge"],
                    "volumes": ["data:/d:ro", "/tmp:/h"],
                    "memory": "64M",
                    "command": "sleep 5",
                }
            },
        }
    )
    web = spec.containers["web"]
    assert web.limits("x").memory == 67108864
    assert web.argv() == ["sh", "-c", "sleep 5"]


@pytest.mark.parametrize(
    ("lab", "where", "words"),
    [
        ({"containers": {"a": {"networks": ["nope"]}}}, "containers.a.networks", "not defined"),
        ({"containers": {"a": {"volumes": ["nope:/x"]}}}, "containers.a.volumes", "not defined"),
        (
            {"containers": {"a": {"volumes": ["data"]}}, "volumes": {"data": {}}},
            "containers.a.volumes",
            "NAME:/path",
        ),
        ({"containers": {"a": {"memory": "64X"}}}, "containers.a.memory", "invalid suffix"),
        ({"containers": {"a": {"cpu_shares": 1}}}, "containers.a.cpu_shares", "between 2 and 262144"),
        ({"containers": {"a": {"memroy": "64M"}}}, "lab: containers.a.memroy", "Extra inputs"),
        ({"containres": {}}, "lab: containres", "Extra inputs"),
    ],
)
def test_bad_labs_say_where(lab: dict, where: str, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as caught:
        Topology.parse(lab)
    assert caught.value.where == where
    assert words in caught.value.message


def test_lab_files(tmp_path: Path) -> None:
    good = tmp_path / "lab.yaml"
    good.write_text("containers:\n  web:\n    memory: 64M\n")
    assert Topology.load(good).containers["web"].memory == "64M"
    bad = tmp_path / "bad.yaml"
    bad.write_text("containers: [1, 2\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        Topology.load(bad)
    with pytest.raises(InvalidInput, match="cannot read"):
        Topology.load(tmp_path / "absent.yaml")


def _pb(**extra: object) -> dict:  # type: ignore[type-arg]
    return {"version": 1, "name": "t", "containers": {"a": {}}, **extra}


@pytest.mark.parametrize(
    ("extra", "where", "words"),
    [
        ({"networks": {"ov": {"driver": "overlay"}}}, "networks.ov.driver", "swarm: true"),
        (
            {"networks": {"m": {"driver": "macvlan", "subnet": "198.18.9.0/24"}}},
            "networks.m",
            "options.parent",
        ),
        (
            {
                "host_links": {"l0": {"peer": "l1"}},
                "networks": {
                    "m1": {"driver": "macvlan", "subnet": "198.18.9.0/24", "options": {"parent": "l0"}},
                    "m2": {"driver": "macvlan", "subnet": "198.18.10.0/24", "options": {"parent": "l0"}},
                },
            },
            "networks.m2.options",
            "one macvlan network per interface",
        ),
        ({"host_links": {"Bad_Name": {"peer": "x"}}}, "host_links.Bad_Name", "at most 15"),
    ],
)
def test_playbook_network_rules(extra: dict, where: str, words: str) -> None:  # type: ignore[type-arg]
    from dockerctl.spec.playbook import Playbook

    with pytest.raises(InvalidInput) as caught:
        Playbook.model_validate(_pb(**extra))
    assert caught.value.where == where
    assert words in caught.value.message


def test_playbook_binds_resolve_against_the_playbook(tmp_path: Path) -> None:
    from dockerctl.spec.playbook import load_playbook

    (tmp_path / "pb.yaml").write_text(
        "version: 1\nname: t\ncontainers:\n  a: {volumes: ['./site:/srv:ro']}\n"
    )
    pb = load_playbook(tmp_path / "pb.yaml")
    assert pb.containers["a"].volumes == [f"{tmp_path.resolve()}/site:/srv:ro"]


def test_a_playbook_that_is_not_utf8_is_one_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\nname: caf\u00e9\n".encode("latin-1"))  # é as the one byte 0xe9
    with pytest.raises(InvalidInput) as err:
        load_playbook(path)
    assert err.value.where == f"{path}:2"
    assert "is not UTF-8 text (byte 0xe9" in err.value.message
