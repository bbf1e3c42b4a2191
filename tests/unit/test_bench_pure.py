"""bench net's pure parts (seed X15): iperf3's JSON report and ping's summary as this machine's tools
print them (tests/fixtures/net/iperf3/, captured on loopback), the median/spread/asymmetry judgement,
the underlay-vs-overlay verdict, the --paths/--seconds/--repeat checks and the SVG picture."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.observe.iperf import MeasureFailed, parse_iperf3, parse_ping_avg_ms
from dockerctl.pictures.plot import check_plot_target, svg
from dockerctl.spec.bench import PATHS, bench_spec
from dockerctl.verify.bench import PathResult, Stat, x15_verdict

IPERF = Path(__file__).parent.parent / "fixtures" / "net" / "iperf3"


def test_iperf3_reports_are_read_as_received_goodput() -> None:
    fwd = parse_iperf3((IPERF / "tcp-forward.json").read_text())
    raw = json.loads((IPERF / "tcp-forward.json").read_text())
    assert fwd.bits_per_second == raw["end"]["sum_received"]["bits_per_second"] and not fwd.reverse
    assert fwd.retransmits == raw["end"]["sum_sent"]["retransmits"] and fwd.seconds > 0.9
    rev = parse_iperf3((IPERF / "tcp-reverse.json").read_text())
    assert rev.reverse and rev.bits_per_second > 1e9


def test_iperf3_errors_are_its_own_words() -> None:
    with pytest.raises(MeasureFailed, match="iperf3: unable to connect to server: Connection refused"):
        parse_iperf3((IPERF / "refused.json").read_text())
    with pytest.raises(MeasureFailed, match="no JSON report"):
        parse_iperf3("iperf3: error - unable to connect\n")


def test_ping_summaries_of_busybox_and_iputils() -> None:
    busybox = (
        "PING 10.6.2.2 (10.6.2.2): 56 data bytes\n\n--- 10.6.2.2 ping statistics ---\n"
        "5 packets transmitted, 5 packets received, 0% packet loss\n"
        "round-trip min/avg/max = 0.071/0.112/0.190 ms\n"
    )
    assert parse_ping_avg_ms(busybox) == 0.112
    iputils = "rtt min/avg/max/mdev = 0.040/0.052/0.069/0.010 ms\n"
    assert parse_ping_avg_ms(iputils) == 0.052
    with pytest.raises(MeasureFailed, match="no round-trip summary"):
        parse_ping_avg_ms("5 packets transmitted, 0 packets received, 100% packet loss\n")


def result(path: str, kind: str, fwd: list[float], rev: list[float]) -> PathResult:
    d = PATHS[path]
    return PathResult(
        path, d.what, d.across_hosts, kind=kind, forward=fwd, reverse=rev, rtt_ms=[0.1] * len(fwd)
    )


def test_median_spread_and_asymmetry_beyond_the_spread() -> None:
    assert Stat.of([3.0, 1.0, 2.0]) == Stat(2.0, 1.0, 3.0)
    # measured by hand here across hosts: 11.5–12.9 one way, 3.7–3.9 the other
    r = result("overlay-hosts", "overlay", [11.5e9, 12.9e9, 12.2e9], [3.7e9, 3.9e9, 3.8e9])
    assert r.asymmetry().startswith("asymmetric: forward is 3.2× the other direction")
    overlapping = result("overlay-hosts", "overlay", [10e9, 12e9], [11e9, 13e9])
    assert overlapping.asymmetry() == ""
    close = result("overlay-hosts", "overlay", [10.0e9, 10.1e9], [10.5e9, 10.6e9])  # apart, but < 10 %
    assert close.asymmetry() == ""
    one_run = result("overlay-hosts", "overlay", [12e9], [4e9])  # no spread to be beyond
    assert one_run.asymmetry() == ""


def test_x15_verdict_compares_the_best_of_each_kind_across_hosts() -> None:
    rows = [
        result("loopback", "underlay", [40e9], [40e9]),  # one host: not in the verdict
        result("host-host", "underlay", [18e9], [18e9]),  # no container network: not either
        result("macvlan-hosts", "underlay", [16e9], [17e9]),
        result("flannel-host-gw", "underlay", [12e9], [11e9]),
        result("overlay-hosts", "overlay", [12e9], [4e9]),  # its slower direction counts: 4
        result("flannel-vxlan", "overlay", [8e9], [7.5e9]),
    ]
    v = x15_verdict(rows)
    assert (v.holds, v.underlay, v.overlay) == (True, "macvlan-hosts", "flannel-vxlan")
    assert v.ratio == pytest.approx(16 / 7.5, rel=1e-3)
    assert v.text.startswith("X15 holds here: underlay beats overlay by 113% (macvlan-hosts 16.00 Gbit/s")

    v = x15_verdict([result("calico", "underlay", [5e9], [5e9]), result("weave", "overlay", [6e9], [6e9])])
    assert v.holds is False and v.text.startswith("X15 does not hold here")

    unavailable = result("weave", "overlay", [], [])
    unavailable.unavailable = "needs dnsmasq"
    v = x15_verdict([result("calico", "underlay", [5e9], [5e9]), unavailable])
    assert v.holds is None and v.text == "X15 not judged: no overlay path across hosts was measured"


def test_bad_bench_input_names_the_flag() -> None:
    with pytest.raises(InvalidInput) as e:
        bench_spec("bridge,vlan", 3, 3)
    assert e.value.where == "--paths" and "'vlan'" in e.value.message and "loopback" in str(e.value.hint)
    with pytest.raises(InvalidInput) as e:
        bench_spec(None, 0, 3)
    assert e.value.where == "--seconds"
    with pytest.raises(InvalidInput) as e:
        bench_spec(None, 3, 21)
    assert e.value.where == "--repeat"
    with pytest.raises(InvalidInput) as e:
        check_plot_target(Path("bench.pdf"))
    assert e.value.where == "--plot"
    spec = bench_spec("weave, loopback,weave", 1, 1)  # table order, no duplicates
    assert spec.paths == ("loopback", "weave") and spec.labs == ["local", "weave"]
    assert bench_spec("all", 1, 1).paths == tuple(PATHS)


def test_the_svg_has_a_bar_per_path_and_direction() -> None:
    rows = [result("bridge", "underlay", [9e9, 10e9], [8e9, 9e9]), result("weave", "overlay", [5e9], [4e9])]
    gone = result("calico", "underlay", [], [])
    gone.unavailable = "needs bird"
    report = {"seconds": 1, "repeat": 2, "paths": [r.to_dict() for r in [*rows, gone]], "verdict": None}
    root = ET.fromstring(svg(report))
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "bar"]
    assert [(b.get("data-path"), b.get("data-direction")) for b in bars] == [
        ("bridge", "forward"), ("bridge", "reverse"), ("weave", "forward"), ("weave", "reverse"),
    ]  # fmt: skip
    widths = {(b.get("data-path"), b.get("data-direction")): float(b.get("width") or 0) for b in bars}
    assert widths[("bridge", "forward")] > widths[("weave", "forward")] > widths[("weave", "reverse")] > 0
