"""`ns`: the namespace identity matrix of containers and their host, with the reasons (seed K2–K8, C3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockerctl.apply.containers import get
from dockerctl.checks.namespaces import explain, host_ids, ids_of, pair_matrix, unreadable
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.jsonout import Jsonable
from dockerctl.observe.namespaces import kernel_kinds


@dataclass
class NsReport(Jsonable):
    JSON = "kernel subjects namespaces=ids pairs explanations unknown"

    subjects: list[str]  # "host", then container names
    ids: dict[str, dict[str, str]]  # subject → kind → 'net:[4026…]'
    pairs: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    kernel: str = ""
    unknown: dict[str, list[str]] = field(default_factory=dict)  # subject → kinds not read (needs root)

    @property
    def ok(self) -> bool:
        return True


def ns_report(engine: Engine, ref: str, others: list[str]) -> NsReport:
    containers = [get(engine.client, r) for r in [ref, *others]]
    ids = {c.name: ids_of(engine.host, c) for c in containers}  # each must be running
    ids = {"host": host_ids(engine.host), **ids}
    report = NsReport(
        list(ids),
        ids,
        pair_matrix(ids, kernel_kinds(engine.host)),
        kernel=engine.host.name,
        unknown=unreadable(engine.host, ids),
    )
    info = engine_call(engine.client.info, what="read the engine info")
    for c in containers:
        report.explanations.extend(explain(engine.host, c, info))
    return report
