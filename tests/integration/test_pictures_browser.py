"""The pictures as a person sees them: `play --html` and `graph` pages opened in a real browser (Debian's
Chromium, headless, as root without its sandbox, no network), the page's DOM read after its script ran."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from .browser import page_dom as _dom
from .browser import svg_node as _node

PLAYBOOKS = Path(__file__).parents[2] / "playbooks"


def _rows(dom: str) -> list[tuple[str, bool]]:
    """Each check row of the report: (its data-ok, whether it is hidden), in page order."""
    return [
        (m.group(1), "hidden" in m.group(0))
        for m in re.finditer(r'<tr class="v-[a-z]+"[^>]*data-ok="(true|false)"[^>]*>', dom)
    ]


def _dc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


@pytest.fixture
def failing_run(tmp_path: Path, engine: docker.DockerClient, base_image: str) -> Iterator[tuple[Path, str]]:
    """A real run with one wrong expectation (a → b across two networks that share nothing)."""
    name = f"pic-{uuid.uuid4().hex[:6]}"
    pb = tmp_path / "lab.yaml"
    pb.write_text(
        f"version: 1\nname: {name}\nnetworks:\n  front: {{}}\n  back: {{}}\ncontainers:\n"
        "  a: {networks: [front], memory: 64M}\n  b: {networks: [back]}\n  c: {networks: [front]}\n"
        "expect:\n"
        "  - {claim: C1, reachable: {from: a, to: c}}\n"
        "  - {claim: C1, reachable: {from: a, to: b}, note: wrong on purpose}\n"
        "  - {claim: R1, limits: {container: a, memory: 64M}}\n"
    )
    try:
        done = _dc("play", str(pb), "--html", "report.html", cwd=tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr  # the wrong expectation does not hold
        yield tmp_path / "report.html", name
    finally:
        _dc("down", "--lab", name, "--volumes", cwd=tmp_path)


def test_a_runs_report_in_a_browser(failing_run: tuple[Path, str], tmp_path: Path) -> None:
    report, name = failing_run
    dom = _dom(report, tmp_path)
    assert f"lab {name}" in dom and "2 of 3 checks hold" in dom
    # the topology: every host, network and container of the playbook, coloured by its checks' verdicts
    for element in (
        "host:local",
        "network:front",
        "network:back",
        "container:a",
        "container:b",
        "container:c",
    ):
        _node(dom, element)
    classes, fill, text = _node(dom, "container:b")
    assert "verdict-fails" in classes and fill == "#fed7d7" and text == "b"  # named by the failing check
    classes, fill, _ = _node(dom, "container:c")
    assert "verdict-holds" in classes and fill == "#c6f6d5"  # both its checks hold
    classes, fill, text = _node(dom, "network:front")
    assert "verdict-none" in classes and fill == "#ffffff" and "front" in text  # no check names it
    assert "memory 64M" in _node(dom, "container:a")[2]
    # the checks: the failing one first, with its evidence; all shown until filtered
    rows = _rows(dom)
    assert [ok for ok, _ in rows] == ["false", "true", "true"] and not any(h for _, h in rows)
    first = dom[dom.index("<tbody>") : dom.index("</tr>", dom.index("<tbody>"))]
    assert "a → b" in first and "mismatch" in first and "ping" in first and "wrong on purpose" in first
    # filtered from the address, as a link to the failures would be: the rest hidden by the page's script
    failing = _rows(_dom(report, tmp_path, "#verdict=failing"))
    assert failing == [("false", False), ("true", True), ("true", True)]
    dom = _dom(report, tmp_path, "#verdict=enforced&host=local")
    assert _rows(dom) == [("false", True), ("true", False), ("true", False)]
    assert "2 of 3 checks shown" in dom
    # phases timed; the same report inside as JSON
    assert re.search(r"apply \d+\.\d s, verify \d+\.\d s, tear down \d+\.\d s", dom)


def test_a_multi_host_playbook_drawn_without_an_engine(tmp_path: Path) -> None:
    done = _dc("graph", str(PLAYBOOKS / "overlay-hosts.yaml"), "--out", "lab.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    dom = _dom(tmp_path / "lab.html", tmp_path)
    for element in ("host:ovh1", "host:ovh2", "switch", "network:ov1", "network:ov2", "container:a"):
        _node(dom, element)
    assert "198.18.100.11/24" in _node(dom, "host:ovh2")[2]
    # each host a cluster holding its containers
    cluster = re.search(r'<g id="cluster:ovh2" class="cluster">(.*?)</g>', dom, re.S)
    assert cluster and ">ovh2<" in cluster.group(1)


def test_an_invalid_playbook_is_drawn_with_its_error_marked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: bad\ncontainers:\n  web: {memory: lots}\n  app: {}\n")
    done = _dc("graph", str(bad), "--out", "bad.html", cwd=tmp_path)
    assert done.returncode == 2 and f"{bad}:4: containers.web.memory" in done.stderr
    assert "Traceback" not in done.stderr
    dom = _dom(tmp_path / "bad.html", tmp_path)
    classes, fill, text = _node(dom, "container:web")
    assert "verdict-error" in classes and fill == "#feb2b2" and "ERROR:" in text
    assert "verdict-error" not in _node(dom, "container:app")[0]
    assert 'id="playbook-error"' in dom and "bad.yaml:4" in dom
    # an --out nothing can be written to: one sentence, exit 2, nothing drawn
    done = _dc("graph", str(bad), "--out", "/proc/no/lab.svg", cwd=tmp_path)
    assert done.returncode == 2 and "--out" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _kernel_addresses(pid: int) -> list[str]:
    """The container's IPv4 addresses, read here inside its network namespace (not by dockerctl)."""
    done = subprocess.run(
        ["nsenter", "-t", str(pid), "-n", "ip", "-json", "-4", "addr"],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return [
        f"{a['local']}/{a['prefixlen']}"
        for link in json.loads(done.stdout)
        if link["ifname"] != "lo"
        for a in link.get("addr_info", [])
    ]


def test_a_lab_drawn_as_its_kernel_shows_it_now(
    tmp_path: Path, engine: docker.DockerClient, base_image: str
) -> None:
    name = f"pic-{uuid.uuid4().hex[:6]}"
    pb = tmp_path / "lab.yaml"
    pb.write_text(
        f"version: 1\nname: {name}\nnetworks:\n  front: {{subnet: 172.31.231.0/24}}\n  back: {{}}\n"
        "containers:\n  web: {networks: [front], ip: 172.31.231.10}\n  app: {networks: [front, back]}\n"
    )
    done = _dc("graph", str(pb), "--live", cwd=tmp_path)
    assert done.returncode == 4 and "nothing of lab" in done.stderr and "--keep" in done.stderr  # not up
    extra = None
    try:
        done = _dc("play", str(pb), "--keep", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        done = _dc("graph", str(pb), "--live", "--out", "now.html", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        dom = _dom(tmp_path / "now.html", tmp_path)
        for element in ("container:web", "container:app", "network:front", "network:back"):
            assert "verdict-holds" in _node(dom, element)[0], element
        app = engine.containers.get(f"{name}-app")
        kernel = _kernel_addresses(int(app.attrs["State"]["Pid"]))
        assert len(kernel) == 2
        for cidr in kernel:  # each attachment labelled with what the kernel shows inside the container
            assert f">{cidr}<" in dom, cidr
        assert ">172.31.231.10/24<" in dom  # web's asked address, as its kernel holds it
        # changed behind the playbook's back: app off back, a stranger with the lab's label on front
        engine.networks.get(f"{name}-back").disconnect(app)
        extra = engine.containers.run(
            base_image,
            ["sleep", "600"],
            name=f"{name}-stranger",
            detach=True,
            network=f"{name}-front",
            labels={"io.dockerctl.managed": "true", "io.dockerctl.lab": name},
        )
        done = _dc("graph", str(pb), "--live", "--out", "now.html", cwd=tmp_path)
        assert done.returncode == 1 and "container:app" in done.stderr, done.stderr
        dom = _dom(tmp_path / "now.html", tmp_path)
        classes, fill, text = _node(dom, "container:app")
        assert "verdict-fails" in classes and fill == "#fed7d7" and "≠ not on back" in text
        classes, fill, text = _node(dom, "container:stranger")
        assert "verdict-unknown" in classes and "not in the playbook" in text
        assert "verdict-holds" in _node(dom, "container:web")[0]
    finally:
        if extra is not None:
            extra.remove(force=True)
        _dc("down", "--lab", name, "--volumes", cwd=tmp_path)
