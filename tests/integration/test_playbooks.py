"""Playbooks on the real engine: every shipped playbook holds; --keep then re-play plans only no-ops; a
limit change is applied in place; a failure half-way leaves nothing; bad playbooks change nothing;
down removes exactly one lab; the JUnit report matches the checks."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest

from dockerctl.cli.junit import write_junit
from dockerctl.engines.engine import Engine
from dockerctl.errors import DockerctlError, InvalidInput, NotFound
from dockerctl.ops.down import down
from dockerctl.ops.play import play
from dockerctl.spec.playbook import load_playbook

# playbooks with a VM host boot one: tests/integration/test_vm_host.py plays them and reads the guest besides
PLAYBOOKS = sorted(
    p for p in (Path(__file__).parents[2] / "playbooks").glob("*.yaml") if "kind: vm" not in p.read_text()
)


def _lab_resources(engine: docker.DockerClient, lab: str) -> list[str]:
    f = {"label": f"io.dockerctl.lab={lab}"}
    return (
        [c.id for c in engine.containers.list(all=True, sparse=True, filters=f)]
        + [n.name for n in engine.networks.list(filters=f)]
        + [v.name for v in engine.volumes.list(filters=f)]
    )


@pytest.mark.parametrize("path", PLAYBOOKS, ids=[p.stem for p in PLAYBOOKS])
def test_shipped_playbook_holds_replans_as_noops_and_down_cleans_up(
    engine: docker.DockerClient, base_image: str, path: Path, eng: Engine
) -> None:
    swarm_before = engine.info()["Swarm"]["LocalNodeState"]
    try:
        report = play(eng, path, keep=True)
        bad = [c for c in report.checks if not c.ok]
        assert report.checks and not bad, bad
        assert all(c.claim for c in report.checks)
        # re-planning the lab that is up: every entry up to date — volumes (also `{}` ones) and the
        # anonymous volumes of volume containers included
        again = play(eng, path, dry_run=True)
        stale = [c for c in again.plan if (c.action, c.reason) != ("noop", "up to date")]
        assert not stale, stale
    finally:
        down(eng, load_playbook(path).name, volumes=True)  # a storage pool's data too
    assert _lab_resources(engine, load_playbook(path).name) == []
    assert engine.info()["Swarm"]["LocalNodeState"] == swarm_before  # a lab that joined swarm left it


def _write(tmp_path: Path, name: str, memory: str = "64M", image: str = "dockerctl/base") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"""version: 1
name: {name}
networks: {{front: {{}}}}
volumes: {{data: {{}}}}
containers:
  a: {{networks: [front], memory: {memory}, volumes: ["data:/d"]}}
  b: {{networks: [front], image: {image}}}
expect:
  - {{claim: R1, limits: {{container: a, memory: {memory}}}}}
  - {{claim: C2, reachable: {{from: a, to: b, by: name}}}}
""")
    return path


def test_keep_then_replay_is_a_noop_and_limits_update_in_place(
    engine: docker.DockerClient, base_image: str, tmp_path: Path, eng: Engine
) -> None:
    name = f"idem-{uuid.uuid4().hex[:6]}"
    try:
        first = play(eng, _write(tmp_path, name), keep=True)
        assert first.ok and {c.action for c in first.plan} == {"create"}
        ids = set(_lab_resources(engine, name))
        second = play(eng, _write(tmp_path, name), keep=True)
        assert second.ok and {c.action for c in second.plan} == {"noop"}
        assert set(_lab_resources(engine, name)) == ids  # nothing was touched
        third = play(eng, _write(tmp_path, name, memory="96M"), keep=True)
        actions = {(c.kind, c.name): c.action for c in third.plan}
        assert actions[("container", "a")] == "update" and actions[("container", "b")] == "noop"
        assert third.ok  # the kernel holds 96M now
        assert set(_lab_resources(engine, name)) == ids  # updated in place: same container
        fourth = play(eng, _write(tmp_path, name, memory="96M"), keep=True, dry_run=True)
        assert {c.action for c in fourth.plan} == {"noop"}
    finally:
        down(eng, name)
    assert _lab_resources(engine, name) == []


def test_failure_half_way_rolls_back_unless_keep(
    engine: docker.DockerClient, base_image: str, tmp_path: Path, eng: Engine
) -> None:
    name = f"half-{uuid.uuid4().hex[:6]}"
    missing = _write(tmp_path, name, image="dockerctl/absent:nope")
    for keep in (False, True):  # a missing image is found before anything is made, --keep or not
        with pytest.raises(NotFound, match="never pulls"):
            play(eng, missing, keep=keep)
        assert _lab_resources(engine, name) == []
    # b (after a: it takes a's volumes) asks for an address on a network without a configured subnet:
    # the engine refuses it once a, front and data exist
    path = tmp_path / "half.yaml"
    path.write_text(
        missing.read_text().replace(
            "  b: {networks: [front], image: dockerctl/absent:nope}",
            "  b: {networks: [front], volumes_from: [a], ip: 10.99.0.5}",
        )
    )
    with pytest.raises(DockerctlError):
        play(eng, path)
    assert _lab_resources(engine, name) == []  # rolled back
    try:
        with pytest.raises(DockerctlError):
            play(eng, path, keep=True)
        left = _lab_resources(engine, name)  # --keep: what was made before the failure stays to look at
        assert len(left) == 3  # container a, network front, volume data
    finally:
        down(eng, name)
    assert _lab_resources(engine, name) == []


def test_bad_playbook_changes_nothing(engine: docker.DockerClient, tmp_path: Path, eng: Engine) -> None:
    before = (
        {c.id for c in engine.containers.list(all=True, sparse=True)},
        {n.id for n in engine.networks.list()},
    )
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nname: bad\ncontainers:\n  a: {networks: [nope]}\n")
    with pytest.raises(InvalidInput) as caught:
        play(eng, path)
    assert caught.value.where == f"{path}:4"
    after = (
        {c.id for c in engine.containers.list(all=True, sparse=True)},
        {n.id for n in engine.networks.list()},
    )
    assert after == before


def test_down_removes_one_lab_only(
    engine: docker.DockerClient, base_image: str, tmp_path: Path, eng: Engine
) -> None:
    mine, other = f"dn-{uuid.uuid4().hex[:6]}", f"dn-{uuid.uuid4().hex[:6]}"
    users = engine.containers.create(base_image, name=f"user-{uuid.uuid4().hex[:6]}")
    try:
        play(eng, _write(tmp_path, mine), keep=True)
        play(eng, _write(tmp_path, other), keep=True)
        removed = down(eng, mine)
        assert len(removed.containers) == 2 and len(removed.volumes) == 1
        assert _lab_resources(engine, mine) == []
        assert len(_lab_resources(engine, other)) == 4
        assert engine.containers.get(users.id)
    finally:
        down(eng, other)
        users.remove(force=True)


def test_junit_report_lists_every_check(
    engine: docker.DockerClient, base_image: str, tmp_path: Path, eng: Engine
) -> None:
    report = play(eng, _write(tmp_path, f"ju-{uuid.uuid4().hex[:6]}"))
    out = tmp_path / "report.xml"
    write_junit(out, report.lab, report.checks)
    suite = ET.parse(out).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == str(len(report.checks))
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) == len(report.checks)


def test_a_play_that_tears_down_a_kept_swarm_lab_leaves_swarm_mode(
    engine: docker.DockerClient, base_image: str, tmp_path: Path, eng: Engine
) -> None:
    """`play --keep` joins swarm mode for the lab; a later `play` of the same lab finds swarm mode already
    on (it joins nothing itself) and tears the lab down: the swarm mode the lab joined goes with it."""
    if engine.info()["Swarm"]["LocalNodeState"] != "inactive":
        pytest.skip("this engine is in swarm mode already: the lab would not join it")
    name = f"swk-{uuid.uuid4().hex[:6]}"
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"version: 1\nname: {name}\nswarm: true\nnetworks:\n  ov: {{driver: overlay, attachable: true}}\n"
        "containers:\n  a: {networks: [ov]}\n"
    )
    try:
        assert play(eng, path, keep=True).ok
        assert engine.info()["Swarm"]["LocalNodeState"] == "active"
        again = play(eng, path)  # tears down at the end (no --keep)
        assert again.ok
        assert _lab_resources(engine, name) == []
        assert engine.info()["Swarm"]["LocalNodeState"] == "inactive"
    finally:
        down(eng, name)
        if engine.info()["Swarm"]["LocalNodeState"] != "inactive":
            engine.swarm.leave(force=True)  # only after the failure this test is about
