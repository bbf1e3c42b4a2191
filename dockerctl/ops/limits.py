"""`run`, `limits`, `update`: containers with limits, and every limit read back from the kernel of the
engine's host."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockerctl.apply.containers import create_and_start, get
from dockerctl.apply.preflight import preflight_container
from dockerctl.apply.update import apply_update
from dockerctl.checks.limits import asked_of, check_limits
from dockerctl.checks.subject import running_pid
from dockerctl.engines.engine import Engine
from dockerctl.hosts import KernelUnreachable
from dockerctl.spec.models import ContainerSpec, Limits
from dockerctl.verify.checks import Check, Verdict


@dataclass
class LimitsReport:
    container_id: str
    name: str
    image: str
    source: str  # where "asked" came from
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verified: bool = True
    kernel: str = ""  # the host whose kernel was read

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": {"id": self.container_id, "name": self.name, "image": self.image},
            "asked_from": self.source,
            "kernel": self.kernel,
            "verified": self.verified,
            "ok": self.ok,
            "warnings": self.warnings,
            "checks": [c.to_dict() for c in self.checks],
        }


def _verify(engine: Engine, report: LimitsReport, container: Any, asked: Limits) -> None:
    """Fill the report's checks from the engine host's kernel — or say why it cannot be read."""
    report.kernel = engine.host.name
    try:
        report.checks, report.warnings = check_limits(engine.host, container, asked)
    except KernelUnreachable as exc:
        report.checks = [
            Check(name, "-", str(value), "not read", Verdict.UNKNOWN, "", exc.message)
            for name, value in (asked.asked() or {"limits": "as asked"}).items()
        ]
        report.warnings.append(f"limits cannot be verified from here: {exc.message}")


def limits_report(engine: Engine, ref: str) -> LimitsReport:
    container = get(engine.client, ref)
    running_pid(container, needs="its cgroups")
    asked, source = asked_of(container)
    image = (container.attrs.get("Config") or {}).get("Image", "")
    report = LimitsReport(container.id, container.name, image, source)
    _verify(engine, report, container, asked)
    return report


def run_container(
    engine: Engine, spec: ContainerSpec, *, verify: bool, allow_engine_socket: bool = False
) -> LimitsReport:
    preflight_container(engine, spec, allow_engine_socket=allow_engine_socket)
    container = create_and_start(engine.client, spec)
    report = LimitsReport(container.id, container.name, spec.image, "this command", verified=verify)
    if verify:
        _verify(engine, report, container, spec.limits)
    return report


def update_limits(engine: Engine, ref: str, changes: dict[str, Any], *, verify: bool) -> LimitsReport:
    """`docker update` for every limit, with docker's semantics, then (optionally) the kernel check."""
    container = get(engine.client, ref)
    current, _ = asked_of(container)
    target = apply_update(engine, container, current, changes)
    report = LimitsReport(container.id, container.name, "", "this command", verified=verify)
    if verify:
        _verify(engine, report, container, target)
    return report
