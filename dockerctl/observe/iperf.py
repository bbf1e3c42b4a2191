"""iperf3's JSON report (`iperf3 -c … -J`) and ping's summary line, parsed (pure)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dockerctl.errors import DockerctlError


class MeasureFailed(DockerctlError):
    """iperf3 or ping did not measure: the tool's own words."""


@dataclass(frozen=True)
class Throughput:
    bits_per_second: float  # what the receiver got (sum_received): the path's goodput
    reverse: bool  # -R: the server sent
    seconds: float
    retransmits: int | None  # TCP sender retransmits (Linux), None when iperf3 does not say


def parse_iperf3(text: str) -> Throughput:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MeasureFailed(f"iperf3 printed no JSON report: {text.strip()[:200]}") from exc
    if not isinstance(data, dict):
        raise MeasureFailed("iperf3's report is not a JSON object")
    if data.get("error"):
        raise MeasureFailed(f"iperf3: {data['error']}")
    end = data.get("end") or {}
    received = end.get("sum_received") or {}
    if "bits_per_second" not in received:
        raise MeasureFailed("iperf3's report has no end.sum_received.bits_per_second (not a TCP test?)")
    sent = end.get("sum_sent") or {}
    test = (data.get("start") or {}).get("test_start") or {}
    retrans = sent.get("retransmits")
    return Throughput(
        float(received["bits_per_second"]),
        bool(test.get("reverse")),
        float(received.get("seconds") or 0.0),
        int(retrans) if isinstance(retrans, int) else None,
    )


_RTT = re.compile(r"(?:round-trip|rtt) min/avg/max(?:/mdev)? = ([\d.]+)/([\d.]+)/([\d.]+)")


def parse_ping_avg_ms(text: str) -> float:
    """busybox's `round-trip min/avg/max = a/b/c ms` or iputils' `rtt min/avg/max/mdev = …` → avg (ms)."""
    m = _RTT.search(text)
    if m is None:
        raise MeasureFailed(f"ping printed no round-trip summary: {text.strip()[-200:]}")
    return float(m.group(2))
