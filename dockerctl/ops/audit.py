"""`audit`: every container on an engine, whoever started it — what it asked and whether the kernel holds
it, the CIS Docker Benchmark's resource and isolation items judged from the kernel, the pressure it has
been under since it started, and what the engine lost track of (shims and cgroups of containers it no
longer knows)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from docker.models.containers import Container

from dockerctl.checks.limits import asked_of, check_limits
from dockerctl.checks.subject import pid_of
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import LAB, MANAGED
from dockerctl.errors import DockerctlError
from dockerctl.hosts import Host, KernelUnreachable
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, container_cgroup, read_file
from dockerctl.observe.isolation import read_isolation
from dockerctl.observe.pressure import Pressure, read_pressure
from dockerctl.verify.audit import (
    DEFAULT_FAIL_ON,
    RULES,
    Finding,
    isolation_findings,
    limit_findings,
    resource_findings,
)
from dockerctl.verify.checks import Check

_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class ContainerAudit:
    name: str
    id: str
    group: str
    image: str
    status: str
    asked_from: str = ""
    checks: list[Check] = field(default_factory=list)
    pressure: Pressure | None = None
    findings: list[Finding] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        p = self.pressure
        return {
            "name": self.name,
            "id": self.id,
            "group": self.group,
            "image": self.image,
            "status": self.status,
            "asked_from": self.asked_from,
            "note": self.note,
            "limits": [c.to_dict() for c in self.checks],
            "pressure": None
            if p is None
            else {
                "oom_kills": p.oom_kills,
                "limit_hits": p.limit_hits,
                "memory_usage_bytes": p.memory_usage,
                "memory_limit_bytes": p.memory_limit,
                "cpu_periods": p.cpu_periods,
                "cpu_throttled_periods": p.cpu_throttled_periods,
                "cpu_throttled_seconds": p.cpu_throttled_seconds,
                "pids_current": p.pids_current,
                "pids_max": p.pids_max,
                "pids_limit_hits": p.pids_limit_hits,
                "psi": p.psi,
                "evidence": p.evidence,
            },
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class AuditReport:
    engine: str
    host: str
    fail_on: tuple[str, ...]
    containers: list[ContainerAudit] = field(default_factory=list)
    orphans: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.containers for f in c.findings] + self.orphans

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.rule in self.fail_on]

    @property
    def ok(self) -> bool:
        return not self.failing

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.rule] = counts.get(f.rule, 0) + 1
        return {
            "engine": self.engine,
            "host": self.host,
            "fail_on": list(self.fail_on),
            "ok": self.ok,
            "counts": counts,
            "notes": self.notes,
            "containers": [c.to_dict() for c in self.containers],
            "orphans": [f.to_dict() for f in self.orphans],
        }


def group_of(labels: dict[str, str]) -> str:
    """Who started it, from the labels each tool puts on what it makes."""
    if labels.get("com.docker.compose.project"):
        return f"compose project {labels['com.docker.compose.project']}"
    if labels.get("com.docker.swarm.service.name"):
        return f"swarm service {labels['com.docker.swarm.service.name']}"
    if labels.get(LAB):
        return f"dockerctl lab {labels[LAB]}"
    if labels.get(MANAGED) == "true":
        return "dockerctl"
    return "none"


def _socket_path(url: str) -> str | None:
    if url.startswith("unix://"):
        return url[len("unix://") :]
    if url.startswith("ssh://"):
        return "/var/run/docker.sock"
    return None


def _cpu(reader: CgroupReader, pid: int, cid: str) -> tuple[str | None, bool, dict[str, str]]:
    """(the cpu weight file's value, whether a CFS quota is set, evidence) — CIS 5.12 from the kernel."""
    try:
        where = container_cgroup(reader, pid, cid, "cpu")
    except CgroupNotFound:
        return None, False, {}
    d = PurePosixPath(where.path)
    if where.version == 1:
        shares, quota = read_file(reader, d, "cpu.shares"), read_file(reader, d, "cpu.cfs_quota_us")
        return shares.text or None, quota.present and quota.text not in ("-1", ""), {"cpu": shares.path}
    weight, cpu_max = read_file(reader, d, "cpu.weight"), read_file(reader, d, "cpu.max")
    return weight.text or None, cpu_max.present and not cpu_max.text.startswith("max"), {"cpu": weight.path}


def _audit_one(engine: Engine, c: Container, *, userns_remap: bool, socket: str | None) -> ContainerAudit:
    labels = c.labels or {}
    row = ContainerAudit(
        str(c.name),
        str(c.id),
        group_of(labels),
        str((c.attrs.get("Config") or {}).get("Image", "")),
        str(c.status),
    )
    pid = pid_of(c)
    if pid <= 0:
        row.note = "not running: nothing of it is in the kernel to read"
        return row
    host = engine.host
    asked, row.asked_from = asked_of(c)
    try:
        row.checks, _ = check_limits(host, c, asked)
        reader = CgroupReader(host)
        row.pressure = read_pressure(reader, pid, str(c.id))
        shares, quota, cpu_evidence = _cpu(reader, pid, str(c.id))
        iso = read_isolation(host, pid, socket)
    except (KernelUnreachable, CgroupNotFound, DockerctlError) as exc:
        row.note = f"its kernel could not be read: {getattr(exc, 'message', exc)}"
        return row
    row.findings = [
        *limit_findings(row.name, row.group, row.checks),
        *resource_findings(row.name, row.group, row.pressure, shares, quota, cpu_evidence),
        *isolation_findings(row.name, row.group, iso, userns_remap=userns_remap, socket_path=socket),
    ]
    return row


def _shim_of(host: Host, pid: int) -> tuple[str, ...]:
    text = host.read_text(f"/proc/{pid}/status") or ""
    m = re.search(r"^PPid:\s*(\d+)", text, re.MULTILINE)
    if not m:
        return ()
    cmd = host.read_text(f"/proc/{m.group(1)}/cmdline") or ""
    return tuple(a for a in cmd.split("\0") if a)


def _arg(argv: tuple[str, ...], flag: str) -> str | None:
    for i, a in enumerate(argv[:-1]):
        if a == flag:
            return argv[i + 1]
    return None


def orphans(engine: Engine, containers: list[Container], notes: list[str]) -> list[Finding]:
    """Shims and cgroups of container ids this engine does not know, on its host: the containerd namespace
    and the cgroup directory are taken from a running container of this engine (so the shims and cgroups
    of other engines on the same machine — a lab's simulated hosts — are never counted)."""
    known = {str(c.id) for c in containers}
    running = [c for c in containers if pid_of(c) > 0]
    if not running:
        notes.append(
            "no running container to learn this engine's containerd namespace and cgroup parent from: orphans not looked for"
        )
        return []
    host = engine.host
    sample = running[0]
    shim = _shim_of(host, pid_of(sample))
    namespace = _arg(shim, "-namespace")
    out: list[Finding] = []
    if namespace:
        for pid, argv in host.cmdlines().items():
            if not argv or "containerd-shim" not in argv[0] or _arg(argv, "-namespace") != namespace:
                continue
            cid = _arg(argv, "-id") or ""
            if _ID.match(cid) and cid not in known:
                out.append(Finding("orphan", cid[:12], "none",
                                   f"containerd shim {pid} (namespace {namespace}) of container {cid[:12]}, which the engine does not list",
                                   f"/proc/{pid}/cmdline on {host.name}"))  # fmt: skip
    try:
        where = container_cgroup(CgroupReader(host), pid_of(sample), str(sample.id), "memory")
    except CgroupNotFound:
        return out
    path = str(where.path)
    parent = path[: path.rindex(str(sample.id))]
    prefix, _, _ = parent.rpartition("/")
    stem = parent[len(prefix) + 1 :]  # "" (cgroupfs: /docker/<id>) or "docker-" (systemd: docker-<id>.scope)
    suffix = path[path.rindex(str(sample.id)) + 64 :]
    for entry in host.list_dir(prefix) or []:
        if not (entry.startswith(stem) and entry.endswith(suffix)):
            continue
        cid = entry[len(stem) : len(entry) - len(suffix) if suffix else None]
        if _ID.match(cid) and cid not in known:
            out.append(Finding("orphan", cid[:12], "none",
                               f"memory cgroup of container {cid[:12]}, which the engine does not list",
                               f"{prefix}/{entry} on {host.name}"))  # fmt: skip
    return out


def audit(
    engine: Engine,
    *,
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON,
    progress: Callable[[str], None] = lambda _: None,
) -> AuditReport:
    for rule in fail_on:
        assert rule in RULES
    info = engine_call(engine.client.info, what="read the engine info")
    userns_remap = any("name=userns" in str(o) for o in info.get("SecurityOptions") or [])
    report = AuditReport(engine.url, engine.host.name, fail_on)
    if not userns_remap:
        report.notes.append(
            "the engine does not remap users (no --userns-remap): every container shares the host's user "
            "namespace, root inside is root outside (CIS 2.8); 5.31 is not judged per container"
        )
    containers = engine_call(engine.client.containers.list, all=True, what="list the containers")
    socket = _socket_path(engine.url)
    for i, c in enumerate(containers, 1):
        progress(f"{i}/{len(containers)} {c.name}")
        try:
            report.containers.append(_audit_one(engine, c, userns_remap=userns_remap, socket=socket))
        except DockerctlError as exc:  # it went away while being read
            report.notes.append(f"{c.name}: not audited: {exc.message}")
    report.containers.sort(key=lambda r: (r.group, r.name))
    report.orphans = orphans(engine, containers, report.notes)
    return report


def audit_lab_host(
    name: str, *, fail_on: tuple[str, ...] = DEFAULT_FAIL_ON, progress: Callable[[str], None] = lambda _: None
) -> AuditReport:
    """audit for a lab host (`--host NAME`): its engine, its kernel where it is."""
    from dockerctl.fabric import labhosts

    _, h = labhosts.find_host(name)
    eng = labhosts.connect_record(h)
    try:
        return audit(eng, fail_on=fail_on, progress=progress)
    finally:
        eng.close()
