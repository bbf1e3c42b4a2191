"""Which third-party network model a host's kernel carries, and whether its entries agree (pure): the
finding, its agreement, and the `Detector` each model declares in its folder (netmodels/<m>/verdicts.py),
judged from observe/netmodels.ModelFacts by the names and shapes the real projects use — so the same
reading fits dockerctl's models on lab hosts and a real install. Each model is also labelled overlay or
underlay by whether an encapsulation device carries it (X14). The helpers here read ip's JSON alike
for every detector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from dockerctl.observe.netmodels import ModelFacts
from dockerctl.spec import netmodels as registry


class Agreement(StrEnum):
    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    UNVERIFIED = "unverified"  # found, but the entries that would prove it are not readable here


@dataclass(frozen=True)
class ModelFinding:
    model: str  # the model as found, with its mode where it has several ("<model> vxlan")
    claim: str
    verdict: Agreement
    kind: str  # overlay / underlay (X14), by evidence
    detail: str
    evidence: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        return data


def kind_of(link: dict[str, Any]) -> str:
    return str((link.get("linkinfo") or {}).get("info_kind") or "")


def vxlan_of(link: dict[str, Any]) -> dict[str, Any]:
    return dict((link.get("linkinfo") or {}).get("info_data") or {})


def states_of(entry: dict[str, Any]) -> list[str]:
    state = entry.get("state") or []
    return [str(s).upper() for s in ([state] if isinstance(state, str) else state)]


def verdict_of(problems: list[str]) -> Agreement:
    return Agreement.INCONSISTENT if problems else Agreement.CONSISTENT


@dataclass(frozen=True)
class Detector:
    """How one model is found in a kernel that runs it (a lab host, or a real install): what it looks
    for, said in `doctor`'s report, and the judge that reads the facts. A NetworkModel names its own."""

    looked_for: str
    judge: Callable[[ModelFacts], list[ModelFinding]]
    proxy_arp_of: str = ""  # the interfaces (by prefix) whose proxy_arp sysctl it judges
    # a KEY=VALUE file its daemon writes on a real install, and the key in it naming the range its routes
    # live in (→ ModelFacts.ranges[model])
    env_file: str = ""
    env_range: str = ""
    model: str = ""


def one(judge: Callable[[ModelFacts], ModelFinding | None]) -> Callable[[ModelFacts], list[ModelFinding]]:
    return lambda facts: [f] if (f := judge(facts)) is not None else []


def detectors() -> list[Detector]:
    """Every registered model's detector, in registry order (each from its folder's verdicts.py)."""
    found = (registry.get(name, "verdicts", "DETECTOR") for name in registry.names())
    return [d for d in found if isinstance(d, Detector)]


def judge_models(facts: ModelFacts, among: Sequence[Detector] | None = None) -> list[ModelFinding]:
    """Every model found in the host's kernel (none: an empty list); among: default, every model's."""
    return [finding for d in (detectors() if among is None else among) for finding in d.judge(facts)]


def looked_for(among: Sequence[Detector] | None = None) -> str:
    return ", ".join(d.looked_for for d in (detectors() if among is None else among))
