"""`doctor`: what an engine's host can and cannot enforce, each finding with its evidence."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from dockerctl.engines.client import engine_url
from dockerctl.engines.engine import SSH_CONFIG_ENV, connect_engine, host_for
from dockerctl.errors import DockerctlError
from dockerctl.hosts import Host, KernelUnreachable
from dockerctl.observe.hostfacts import EngineFacts, engine_facts, kernel_facts
from dockerctl.observe.netmodels import EnvFile, read_model_facts
from dockerctl.verify.doctor import Capability, assess
from dockerctl.verify.netmodels import Detector, ModelFinding, judge_models, looked_for


@dataclass
class DoctorReport:
    engine: EngineFacts
    host: str
    capabilities: list[Capability] = field(default_factory=list)
    kernel_error: str = ""
    models: list[ModelFinding] = field(default_factory=list)  # third-party network models (X11–X14)
    models_read: bool = False  # False: the kernel could not be read, so no model was looked for
    looked_for: str = ""  # what was looked for, from each model's detector

    @property
    def ok(self) -> bool:
        return self.engine.reachable

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine_reachable": self.engine.reachable,
            "kernel": self.host,
            "kernel_error": self.kernel_error,
            "capabilities": [c.to_dict() for c in self.capabilities],
            "network_models": {
                "read": self.models_read,
                "looked_for": self.looked_for,
                "found": [m.to_dict() for m in self.models],
            },
        }


def doctor_report(
    base_url: str | None,
    *,
    probe_links: bool = True,
    host: Host | None = None,
    ssh_config: str | None = None,
    ranges: dict[str, str] | None = None,
) -> DoctorReport:
    """Never raises for an engine that does not answer: that is a finding (exit 3 at the CLI). `host`:
    where its kernel is read when the URL alone does not say (a simulated host's namespace). `ranges`: what
    a lab records of its models on this host (model → range), for the models found only by their routes."""
    url = engine_url(base_url)
    try:
        engine = connect_engine(base_url, ssh_config=ssh_config)
        if host is not None:
            engine.host = host
    except DockerctlError as exc:
        # no engine answers; its host (named by the URL) can still be read: what would it enforce?
        host = host or host_for(url, ssh_config=os.environ.get(SSH_CONFIG_ENV) or None)
        try:
            return _judged(EngineFacts(url, False, str(exc)), host, probe_links, ranges or {})
        finally:
            host.close()
    with engine:
        return _judged(engine_facts(engine.client, engine.url), engine.host, probe_links, ranges or {})


def _detectors() -> list[Detector]:
    from dockerctl.netmodels.base import models

    return [m.detector for m in models().values() if m.detector is not None]


def _judged(facts: EngineFacts, host: Host, probe_links: bool, ranges: dict[str, str]) -> DoctorReport:
    detectors = _detectors()
    try:
        kernel = kernel_facts(host, probe_links=probe_links)
    except KernelUnreachable as exc:
        return DoctorReport(
            facts, host.name, assess(facts, None), exc.message, looked_for=looked_for(detectors)
        )
    report = DoctorReport(facts, host.name, assess(facts, kernel), looked_for=looked_for(detectors))
    try:  # read-only: the same evidence on a lab host and on a real install of a model
        seen = read_model_facts(
            host,
            ranges=ranges,
            proxy_arp_of=tuple(d.proxy_arp_of for d in detectors if d.proxy_arp_of),
            env_files=tuple(EnvFile(d.env_file, d.env_range, d.model) for d in detectors if d.env_file),
        )
        report.models = judge_models(seen, detectors)
        report.models_read = True
    except KernelUnreachable as exc:
        report.kernel_error = exc.message
    return report
