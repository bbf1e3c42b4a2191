"""`bench net`'s numbers judged (pure): median and spread of K runs per direction, asymmetries beyond the
spread, and the verdict of seed X15 — does underlay beat overlay across hosts here, and by how much."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from dockerctl.jsonout import Jsonable

ASYMMETRY_MARGIN = 0.10  # directions must differ by more than this, and beyond their spreads


@dataclass(frozen=True)
class Stat(Jsonable):
    JSON = "median min=low max=high"

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: list[float]) -> Stat:
        return cls(statistics.median(samples), min(samples), max(samples))


@dataclass
class PathResult:
    path: str
    what: str
    across_hosts: bool
    kind: str = ""  # overlay / underlay (X14), by evidence
    evidence: str = ""
    mtu: int | None = None
    forward: list[float] = field(default_factory=list)  # bit/s, client → server, one per run
    reverse: list[float] = field(default_factory=list)  # bit/s, server → client (-R)
    rtt_ms: list[float] = field(default_factory=list)
    unavailable: str = ""  # why the path could not be measured here

    @property
    def measured(self) -> bool:
        return not self.unavailable and bool(self.forward) and bool(self.reverse)

    def asymmetry(self) -> str:
        """'' or a note: the two directions differ beyond both spreads and by more than the margin."""
        if not self.measured or len(self.forward) < 2 or len(self.reverse) < 2:
            return ""  # one run has no spread to be beyond
        f, r = Stat.of(self.forward), Stat.of(self.reverse)
        apart = f.high < r.low or r.high < f.low
        ratio = max(f.median, r.median) / max(min(f.median, r.median), 1.0)
        if apart and ratio > 1 + ASYMMETRY_MARGIN:
            faster = "forward" if f.median > r.median else "reverse"
            return f"asymmetric: {faster} is {ratio:.1f}× the other direction, beyond the spread"
        return ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "what": self.what,
            "across_hosts": self.across_hosts,
            "kind": self.kind,
            "evidence": self.evidence,
            "mtu": self.mtu,
            "available": not self.unavailable,
        }
        if self.unavailable:
            data["unavailable"] = self.unavailable
            return data
        data["forward_bps"] = Stat.of(self.forward).to_dict() if self.forward else None
        data["reverse_bps"] = Stat.of(self.reverse).to_dict() if self.reverse else None
        data["rtt_ms"] = Stat.of(self.rtt_ms).to_dict() if self.rtt_ms else None
        data["samples"] = {"forward": self.forward, "reverse": self.reverse, "rtt_ms": self.rtt_ms}
        data["asymmetry"] = self.asymmetry()
        return data


def throughput(p: PathResult) -> float:
    """One figure per path for comparing paths: the slower direction's median (what both ways get)."""
    return min(Stat.of(p.forward).median, Stat.of(p.reverse).median)


@dataclass(frozen=True)
class Verdict:
    holds: bool | None  # None: not both kinds were measured across hosts
    text: str
    underlay: str = ""
    overlay: str = ""
    ratio: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _gbit(p: PathResult) -> str:
    return f"{throughput(p) / 1e9:.2f} Gbit/s"


def x15_verdict(results: list[PathResult]) -> Verdict:
    """Across hosts, the best underlay path against the best overlay path (each by its slower
    direction's median). Seed X15: underlay wins because encapsulation costs CPU and bytes."""
    across = [p for p in results if p.measured and p.across_hosts and p.path != "host-host"]
    under = [p for p in across if p.kind == "underlay"]
    over = [p for p in across if p.kind == "overlay"]
    if not under or not over:
        missing = "underlay" if not under else "overlay"
        return Verdict(None, f"X15 not judged: no {missing} path across hosts was measured")
    best_u = max(under, key=throughput)
    best_o = max(over, key=throughput)
    ratio = throughput(best_u) / max(throughput(best_o), 1.0)
    if ratio > 1:
        text = (
            f"X15 holds here: underlay beats overlay by {(ratio - 1) * 100:.0f}% "
            f"({best_u.path} {_gbit(best_u)} vs {best_o.path} {_gbit(best_o)})"
        )
    else:
        text = (
            f"X15 does not hold here: the best overlay ({best_o.path} {_gbit(best_o)}) is not slower than "
            f"the best underlay ({best_u.path} {_gbit(best_u)})"
        )
    return Verdict(ratio > 1, text, best_u.path, best_o.path, round(ratio, 3))
