"""`hosts up|ls|down`, `doctor --lab-host`: a lab's hosts as operators see them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockerctl.apply.containers import ensure_image_local
from dockerctl.apply.playbook import build_images, image_tags
from dockerctl.engines.client import engine_call, engine_url
from dockerctl.engines.engine import Engine
from dockerctl.errors import InvalidInput
from dockerctl.fabric import labhosts
from dockerctl.hosts import Host
from dockerctl.jsonout import RowsReport
from dockerctl.netmodels.base import models
from dockerctl.ops import lifecycle
from dockerctl.ops.doctor import DoctorReport, doctor_report
from dockerctl.spec.models import BASE_IMAGE
from dockerctl.spec.playbook import load_playbook


@dataclass
class HostRow:
    lab: str
    name: str
    kind: str
    url: str
    address: str
    engine: str  # version, or why it does not answer
    swarm: str = ""

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class HostsReport(RowsReport[HostRow]):
    JSON = "ok hosts=rows"

    @property
    def ok(self) -> bool:
        return all(not r.engine.startswith("not answering") for r in self.rows)


def _row(lab: str, h: labhosts.HostRecord, e: Engine) -> HostRow:
    info = engine_call(e.client.info, what=f"read the engine info of {h.name}")
    swarm = str((info.get("Swarm") or {}).get("LocalNodeState", ""))
    return HostRow(lab, h.name, h.kind, h.url, h.address, f"Docker {info.get('ServerVersion', '?')}", swarm)


def hosts_ls(lab: str | None = None) -> HostsReport:
    report = HostsReport()
    for rec in labhosts.all_records():
        if lab is None or rec.lab == lab:
            why: dict[str, str] = {}
            reached = {h.name: e for h, e in labhosts.walk(rec.hosts.values(), why=why)}
            try:
                report.rows.extend(
                    _row(rec.lab, h, reached[h.name])
                    if h.name in reached
                    else HostRow(rec.lab, h.name, h.kind, h.url, h.address, f"not answering: {why[h.name]}")
                    for h in rec.hosts.values()
                )
            finally:
                labhosts.close_engines(reached.values())
    return report


def hosts_up(engine: Engine, path: Path, progress: Any = None) -> HostsReport:
    """The playbook's hosts (and swarm mode across them, if it asks), kept up until `hosts down`."""
    pb = load_playbook(path)
    if not pb.hosts:
        raise InvalidInput(
            "this playbook declares no hosts: everything runs on this engine", where=pb.where("hosts")
        )
    ensure_image_local(engine.client, BASE_IMAGE)
    build_images(engine.client, pb, path.parent, progress)
    lifecycle.preflight(pb)
    engines = lifecycle.hosts_up(engine, pb, [BASE_IMAGE, *image_tags(pb).values()], progress)
    try:
        lifecycle.models_up(pb, progress)
        lifecycle.swarm_up(engine, engines, pb, list(pb.hosts))
    finally:
        labhosts.close_engines(engines.values(), engine)
    return hosts_ls(pb.name)


def host_of_record(h: labhosts.HostRecord) -> Host:
    return labhosts.kernel_of(h)


def doctor_host(name: str, *, probe_links: bool = True) -> DoctorReport:
    """doctor for a lab host: its engine, read on its own kernel (a simulated host's namespace)."""
    rec, h = labhosts.find_host(name)
    # a model found only by its routes (no device of its own) is told apart by the range the lab gave it
    ranges = {m.name: r for m in models().values() if (r := m.range_on(rec.lab, name))}
    if labhosts.is_this_machine(h):
        return doctor_report(engine_url(), probe_links=probe_links, ranges=ranges)
    config = labhosts.ssh_config_of(h)
    return doctor_report(
        h.url, probe_links=probe_links, host=host_of_record(h), ssh_config=config, ranges=ranges
    )
