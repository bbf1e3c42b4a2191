"""The playbook as a picture's elements (pure: no engine, no Graphviz): what is drawn where, the edges,
the error marked on the element it names, and which elements an expectation's checks colour."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.pictures.dot import to_dot
from dockerctl.pictures.scene import elements_of, scene_of
from dockerctl.spec.playbook import load_playbook

PLAYBOOKS = Path(__file__).parents[2] / "playbooks"


def test_a_multi_host_playbook_is_drawn_host_by_host() -> None:
    s = scene_of(PLAYBOOKS / "overlay-hosts.yaml")
    assert s.hosts == ["ovh1", "ovh2"] and not s.error
    el = s.elements
    assert {e for e in el if e.startswith("container:")} == {"container:a", "container:b", "container:c"}
    assert (el["container:a"].host, el["container:b"].host, el["container:c"].host) == (
        "ovh1",
        "ovh2",
        "ovh2",
    )
    assert el["network:ov1"].host is None and "overlay" in el["network:ov1"].lines  # across hosts
    # the switch and the addresses the lab will give its ports (.10, .11 in order)
    assert el["switch"].lines == ["lab switch", "198.18.100.0/24"]
    assert {(e.b, e.label) for e in s.edges if e.a == "switch"} == {
        ("host:ovh1", "198.18.100.10/24"),
        ("host:ovh2", "198.18.100.11/24"),
    }
    assert {(e.a, e.b) for e in s.edges if e.b.startswith("network:")} == {
        ("container:a", "network:ov1"),
        ("container:b", "network:ov1"),
        ("container:c", "network:ov2"),
    }
    assert el["container:b"].where.endswith("overlay-hosts.yaml:15")  # the line of its key


def test_namespaces_volumes_and_the_default_bridge_are_edges() -> None:
    s = scene_of(PLAYBOOKS / "networks.yaml")
    edges = {(e.a, e.b): e for e in s.edges}
    assert edges[("container:on-host", "host:local")].style == "dashed"  # network_mode: host
    assert ("container:plain-a", "default-bridge:local") in edges  # networks: [bridge]
    assert edges[("container:web", "network:front")].label == "172.31.150.10"  # its static ip
    assert not [e for e in s.edges if e.a == "container:isolated-box"]  # network_mode: none: nothing
    st = scene_of(PLAYBOOKS / "storage.yaml")
    assert any(e.b.startswith("volume:") and e.label for e in st.edges)  # mounted at a path


def test_an_invalid_playbook_is_drawn_with_its_error_on_the_element(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: bad\nnetworks:\n  front: {}\ncontainers:\n"
        "  web: {networks: [front], memory: lots}\n  app: {networks: [front]}\n"
    )
    s = scene_of(bad)
    assert s.error.startswith(f"{bad}:6: containers.web.memory")
    assert s.elements["container:web"].error == s.error and not s.elements["container:app"].error
    assert ("container:app", "network:front") in {(e.a, e.b) for e in s.edges}  # the rest still drawn
    dot = to_dot(s)
    assert 'class="element container verdict-error"' in dot and "ERROR: " in dot
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: [\n")
    b = scene_of(broken)
    assert "not valid YAML" in b.error and b.hosts == ["local"]


def test_the_checks_of_an_expectation_colour_the_elements_it_names() -> None:
    path = PLAYBOOKS / "overlay-hosts.yaml"
    pb, s = load_playbook(path), scene_of(path)
    by_kind = {e.kind: elements_of(e, s) for e in pb.expect}
    assert by_kind["vxlan"] == ["network:ov1", "container:a", "container:b"]
    assert by_kind["overlay_subnets"] == ["network:ov1", "network:ov2"]
    coloured = to_dot(s, {"container:a": "fails", "network:ov1": "holds"})
    line = next(x for x in coloured.splitlines() if x.strip().startswith('"container:a"'))
    assert 'fillcolor="#fed7d7"' in line and "verdict-fails" in line
    line = next(x for x in coloured.splitlines() if x.strip().startswith('"container:c"'))
    assert 'fillcolor="#ffffff"' in line and "verdict-none" in line


@pytest.mark.parametrize("name", ['we"ird', "back\\slash", "new\nline"])
def test_dot_quotes_what_it_is_given(name: str, tmp_path: Path) -> None:
    from dockerctl.pictures.dot import _q

    q = _q(name)
    assert q.startswith('"') and q.endswith('"') and '"' not in q[1:-1].replace('\\"', "")
    assert "\n" not in q


def test_a_live_view_marks_what_differs_from_the_playbook() -> None:
    """overlay-hosts against a canned view: a on its host with its address, b on the wrong host, c's
    host not answering, ov2 missing, and a container the playbook does not name."""
    from dockerctl.ops.livelab import LabView, LiveContainer, LiveNetwork
    from dockerctl.pictures.live import mark_live

    s = scene_of(PLAYBOOKS / "overlay-hosts.yaml")
    view = LabView(
        "overlay-hosts",
        ["ovh1"],
        containers=[
            LiveContainer("a", "ovh1", "running", {"ov1": ["10.0.1.4/24"]}),
            LiveContainer("b", "ovh1", "running", {"ov1": ["10.0.1.5/24"]}),
            LiveContainer("stray", "ovh1", "exited", {}),
        ],
        networks=[LiveNetwork("ov1", "ovh1", "overlay", ["10.0.1.0/24"], "overlay")],
        unreachable=["ovh2"],
    )
    states = mark_live(s, view)
    assert states["container:a"] == "holds"
    assert ("container:a", "network:ov1", "10.0.1.4/24") in {(e.a, e.b, e.label) for e in s.edges}
    assert states["container:b"] == "unknown"  # its host did not answer: not judged
    assert states["host:ovh2"] == "unknown" and "did not answer" in s.elements["host:ovh2"].lines
    assert (
        states["network:ov1"] == "holds" and "now: 10.0.1.0/24 (overlay)" in s.elements["network:ov1"].lines
    )
    assert states["network:ov2"] == "fails" and "≠ missing" in s.elements["network:ov2"].lines
    assert states["container:stray"] == "unknown" and s.elements["container:stray"].host == "ovh1"
    # a container on another host than asked, and an address other than asked
    s = scene_of(PLAYBOOKS / "networks.yaml")
    view = LabView(
        "networks",
        ["local"],
        containers=[LiveContainer("web", "local", "running", {"front": ["172.31.150.99/24"]})],
    )
    states = mark_live(s, view)
    assert states["container:web"] == "fails"
    assert "≠ ip 172.31.150.10 asked, the kernel shows 172.31.150.99/24" in s.elements["container:web"].lines
    assert states["container:app"] == "fails" and "≠ missing: on no host" in s.elements["container:app"].lines


def test_a_services_tasks_per_host_against_its_replicas() -> None:
    from dockerctl.ops.livelab import LabView, LiveService
    from dockerctl.pictures.live import mark_live

    s = scene_of(PLAYBOOKS / "swarm-service-limits.yaml")
    view = LabView(
        "swarm-service-limits",
        ["svh1", "svh2"],
        services=[LiveService("web", {"svh1": 1})],
        facts={"svh1": "kernel 6.1.0, cgroup v2"},
    )
    states = mark_live(s, view)
    assert states["service:web"] == "fails"  # 2 replicas asked
    assert s.elements["service:web"].lines[-2:] == ["tasks now: svh1 ×1", "≠ 1 running, 2 asked"]
    assert (
        states["service:worker"] == "fails"
        and "≠ missing: no such service" in s.elements["service:worker"].lines
    )
    assert "kernel 6.1.0, cgroup v2" in s.elements["host:svh1"].lines
