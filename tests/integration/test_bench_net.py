"""bench net on the real machine (seed X14, X15): every path measured both ways with iperf3 from a
locally built image, labelled overlay or underlay from the kernel, the verdict given, the picture drawn —
and nothing left behind (no lab, namespace, process, state). A path whose parts are missing is listed as
unavailable, with why, and bad input changes nothing."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dockerctl.engines.engine import connect_engine
from dockerctl.ops import bench
from dockerctl.spec.bench import PATHS, bench_spec

from .browser import page_dom
from .test_labs_across_hosts import cli, machine_state

OVERLAY = {"overlay", "overlay-hosts", "flannel-vxlan", "weave"}


def test_every_path_is_measured_labelled_and_removed(base_image: str, tmp_path: Path) -> None:
    before = machine_state()
    plot, page = tmp_path / "bench.svg", tmp_path / "bench.html"
    done = cli(
        "bench", "net", "--seconds", "1", "--repeat", "2", "--json", "--plot", str(plot), "--html", str(page),
        timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {r["path"]: r for r in report["paths"]}
    assert list(rows) == list(PATHS)
    for name, r in rows.items():
        assert r["available"], (name, r.get("unavailable"))
        assert len(r["samples"]["forward"]) == 2 and len(r["samples"]["reverse"]) == 2, r
        assert r["forward_bps"]["min"] > 1e8 and r["reverse_bps"]["min"] > 1e8, r  # a real path, both ways
        assert 0 < r["rtt_ms"]["median"] < 50, r
        # X14 from evidence: an encapsulation device carries exactly the overlay paths
        assert r["kind"] == ("overlay" if name in OVERLAY else "underlay"), r
    assert rows["loopback"]["mtu"] == 65536
    assert rows["macvlan-hosts"]["mtu"] == rows["flannel-host-gw"]["mtu"] == 1500
    assert rows["flannel-vxlan"]["mtu"] == rows["weave"]["mtu"] == 1450  # the link's, less 50 for vxlan
    assert rows["flannel-vxlan"]["evidence"].startswith("flannel.1: vxlan, VNI 1, UDP 8472")
    assert rows["overlay-hosts"]["evidence"].startswith("vxlan0: vxlan")
    verdict = report["verdict"]
    assert verdict["holds"] in (True, False) and verdict["underlay"] and verdict["overlay"], verdict
    bars = [e for e in ET.parse(plot).getroot().iter() if e.get("class") == "bar"]
    assert len(bars) == 2 * len(PATHS)
    # the same run as a page, in a browser: the plot's bars, every path's row, the verdict
    dom = page_dom(page, tmp_path)
    assert dom.count('class="bar"') == 2 * len(PATHS) and verdict["text"] in dom.replace("&amp;", "&")
    assert [m for m in re.findall(r'<tr class="v-holds" data-path="([^"]+)"', dom)] == list(PATHS)
    assert machine_state() == before


def test_a_path_whose_parts_are_missing_is_unavailable_with_why(
    base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = machine_state()
    real = shutil.which
    monkeypatch.setattr(bench.shutil, "which", lambda name: None if name == "bird" else real(name))
    with connect_engine(None) as engine:
        report = bench.bench_net(engine, bench_spec("loopback,calico", 1, 1))
    loop, calico = report.results
    assert loop.measured and loop.forward[0] > 1e8
    assert (
        not calico.measured and calico.unavailable == "needs bird on this machine (scripts/setup installs it)"
    )
    assert report.verdict is not None and report.verdict.holds is None
    assert machine_state() == before


def test_bad_bench_input_is_one_error_and_makes_nothing(base_image: str) -> None:
    before = machine_state()
    for args, where in (
        (["--paths", "bridge,vlan"], "--paths"),
        (["--seconds", "0"], "--seconds"),
        (["--plot", "out.pdf"], "--plot"),
        (["--html", "out.htm"], "--html"),
        (["--html", "/nonexistent/out.html"], "--html"),
    ):
        done = cli("bench", "net", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith(f"dockerctl: error: {where}: "), done.stderr
        assert "Traceback" not in done.stderr
    assert machine_state() == before
