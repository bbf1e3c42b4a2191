"""`doctor`: what an engine's host can and cannot enforce, each finding with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockerctl.engines.client import engine_url
from dockerctl.engines.engine import connect_engine
from dockerctl.errors import DockerctlError
from dockerctl.hosts import KernelUnreachable
from dockerctl.observe.hostfacts import EngineFacts, engine_facts, kernel_facts
from dockerctl.verify.doctor import Capability, assess


@dataclass
class DoctorReport:
    engine: EngineFacts
    host: str
    capabilities: list[Capability] = field(default_factory=list)
    kernel_error: str = ""

    @property
    def ok(self) -> bool:
        return self.engine.reachable

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine_reachable": self.engine.reachable,
            "kernel": self.host,
            "kernel_error": self.kernel_error,
            "capabilities": [c.to_dict() for c in self.capabilities],
        }


def doctor_report(base_url: str | None, *, probe_links: bool = True) -> DoctorReport:
    """Never raises for an engine that does not answer: that is a finding (exit 3 at the CLI)."""
    url = engine_url(base_url)
    try:
        engine = connect_engine(base_url)
    except DockerctlError as exc:
        return DoctorReport(EngineFacts(url, False, str(exc)), "")
    with engine:
        facts = engine_facts(engine.client, engine.url)
        try:
            kernel = kernel_facts(engine.host, probe_links=probe_links)
        except KernelUnreachable as exc:
            return DoctorReport(facts, engine.host.name, assess(facts, None), exc.message)
        return DoctorReport(facts, engine.host.name, assess(facts, kernel))
