"""`audit`: every container on an engine, whoever started it — what it asked and whether the kernel holds
it, the CIS Docker Benchmark's resource and isolation items judged from the kernel, the pressure it has
been under since it started, and what the engine lost track of (shims, cgroups, netns files and veths of
containers it no longer knows)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from docker.models.containers import Container

from dockerctl.apply.orphans import Ended, Removed, end_orphan, remove_sandbox, remove_unmoved_pairs
from dockerctl.checks.limits import asked_of, check_limits
from dockerctl.checks.subject import pid_of
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.inspect import list_inspected
from dockerctl.engines.labels import LAB, MANAGED
from dockerctl.errors import DockerctlError, NotFound
from dockerctl.jsonout import Jsonable
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, container_cgroup, read_file
from dockerctl.observe.isolation import read_isolation
from dockerctl.observe.mounts import Mount
from dockerctl.observe.orphans import (
    Layout,
    Sandbox,
    Shim,
    cgroup_ids,
    layout_of,
    sandboxes,
    settled,
    shims,
    unmoved_veth_pairs,
)
from dockerctl.observe.pressure import Pressure, read_pressure
from dockerctl.spec.fields import FIELDS
from dockerctl.verify.audit import (
    DEFAULT_FAIL_ON,
    RULES,
    Finding,
    isolation_findings,
    limit_findings,
    orphan_findings,
    orphan_ids,
    resource_findings,
    sandbox_findings,
)
from dockerctl.verify.verdict import Check


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
        return [f for f in self.findings if f.fails(self.fail_on)]

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
    # the files of the table's -c/--cpu-shares and --cpus rows: cpu.shares and cpu.cfs_quota_us in v1,
    # cpu.weight and cpu.max ("quota period") in v2
    weight, quota = (read_file(reader, d, FIELDS[n].file(where.version)) for n in ("cpu_shares", "cpus"))
    limited = quota.text not in ("-1", "") if where.version == 1 else not quota.text.startswith("max")
    return weight.text or None, quota.present and limited, {"cpu": weight.path}


def _audit_one(
    engine: Engine,
    c: Container,
    reader: CgroupReader,
    page: int,
    mount_tables: dict[str, list[Mount]],
    *,
    userns_remap: bool,
    socket: str | None,
) -> ContainerAudit:
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
        row.checks, _ = check_limits(host, c, asked, reader, page)
        row.pressure = read_pressure(reader, pid, str(c.id))
        shares, quota, cpu_evidence = _cpu(reader, pid, str(c.id))
        iso = read_isolation(host, pid, socket, mount_tables)
    except DockerctlError as exc:  # the kernel unreachable, a cgroup gone, the engine
        row.note = f"its kernel could not be read: {getattr(exc, 'message', exc)}"
        return row
    row.findings = [
        *limit_findings(row.name, row.group, row.checks),
        *resource_findings(row.name, row.group, row.pressure, shares, quota, cpu_evidence),
        *isolation_findings(
            row.name,
            row.group,
            iso,
            userns_remap=userns_remap,
            socket_path=socket,
            modes={k: str(v) for k, v in (c.attrs.get("HostConfig") or {}).items() if k.endswith("Mode")},
        ),
    ]
    return row


def _engine_view(containers: list[Container]) -> dict[str, tuple[str, str, bool]]:
    return {
        str(c.id): (str(c.name), str(c.status), pid_of(c) > 0 and c.status == "running") for c in containers
    }


def _lost_track(
    engine: Engine, info: dict[str, Any], notes: list[str]
) -> tuple[Layout | None, list[Shim], dict[str, str]]:
    """(the engine's layout, its shims, container id → memory cgroup) on its host: only this engine's
    (the dockerd its socket names, the containerd address its shims serve) and only what is settled."""
    host = engine.host
    layout = layout_of(
        host,
        engine.url,
        str(info.get("DockerRootDir") or "/var/lib/docker"),
        str(info.get("CgroupDriver") or "cgroupfs"),
    )
    if isinstance(layout, str):
        notes.append(f"what the engine may have lost track of was not looked for on {host.name}: {layout}")
        return None, [], {}
    found, foreign = shims(host, layout)
    groups = {cid: d for cid, d in cgroup_ids(host, layout).items() if cid not in foreign}
    found, settled_groups = settled(host, layout, found, groups, time.time())
    return layout, found, {cid: str(d) for cid, d in settled_groups.items()}


def _sandboxes_in_use(containers: list[Container]) -> set[str]:
    """The names of the netns files of the containers the engine runs (their SandboxKey's last part)."""
    return {
        PurePosixPath(str(c.attrs.get("NetworkSettings", {}).get("SandboxKey") or "")).name
        for c in containers
        if pid_of(c) > 0 and c.status == "running"
    } - {""}


def orphans(
    engine: Engine, containers: list[Container], info: dict[str, Any], notes: list[str]
) -> list[Finding]:
    layout, found, groups = _lost_track(engine, info, notes)
    out = orphan_findings(found, groups, _engine_view(containers), engine.host.name)
    if layout is not None:
        host = engine.host
        boxes = _settled_sandboxes(engine, layout, containers)
        out += sandbox_findings(boxes, unmoved_veth_pairs(host, layout), layout.daemon_pid, host.name)
    return out


def _running(engine: Engine) -> list[Container]:
    return list_inspected(engine.client)


def _settled_sandboxes(
    engine: Engine, layout: Layout, containers: list[Container], settle: float = 1.0
) -> list[Sandbox]:
    """Sandboxes no running container uses: first against `containers` (the caller's inspected list),
    then — only when a candidate is still mounted — again `settle` seconds later against a fresh list: a
    container starting or just exited has a netns file the engine is still making or releasing, and only
    what stays unused both times is something the engine lost track of. A file the daemon does not hold
    mounted is a candidate only when it is older than the daemon (`sandboxes`): no container starting
    now has it, so it needs no second look (before, an earlier daemon's files cost every audit a second
    listing and inspect of every container)."""
    first = sandboxes(engine.host, layout, _sandboxes_in_use(containers))
    if all(b.mounted is False for b in first):
        return first
    time.sleep(settle)
    again = {b.path: b for b in sandboxes(engine.host, layout, _sandboxes_in_use(_running(engine)))}
    return [
        b if b.mounted is False else again[b.path] for b in first if b.mounted is False or b.path in again
    ]


@dataclass
class OrphanCleanup(Jsonable):
    JSON = "engine ok notes ended removed"

    engine: str
    ended: list[Ended] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(e.skipped for e in self.ended) and not any(r.skipped for r in self.removed)


def clean_orphans(engine: Engine) -> OrphanCleanup:
    """End the shims (and their processes) and remove the cgroups of containers this engine lost track of."""
    containers = list_inspected(engine.client, all=True)
    out = OrphanCleanup(engine.url)
    info = engine_call(engine.client.info, what="read the engine info")
    layout, found, groups = _lost_track(engine, info, out.notes)
    if layout is None:
        return out
    view = _engine_view(containers)
    by_id = {s.container_id: s for s in found}

    def still_orphan(cid: str) -> Callable[[], bool]:
        def check() -> bool:
            try:
                c = engine_call(engine.client.containers.get, cid, what=f"find container {cid[:12]}")
            except NotFound:
                return True
            return pid_of(c) <= 0

        return check

    for cid in orphan_ids(list(by_id), list(groups), {k: v[2] for k, v in view.items()}):
        out.ended.append(end_orphan(engine.host, cid, by_id.get(cid), layout, still_orphan(cid)))

    def unused(name: str) -> Callable[[], bool]:
        def check() -> bool:
            return name not in _sandboxes_in_use(_running(engine))

        return check

    for sb in _settled_sandboxes(engine, layout, containers):
        out.removed.append(remove_sandbox(engine.host, layout, sb, unused(sb.name)))
    out.removed += remove_unmoved_pairs(engine.host, layout, unmoved_veth_pairs(engine.host, layout))
    return out


def audit(
    engine: Engine,
    *,
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON,
    progress: Callable[[str], None] = lambda _: None,
) -> AuditReport:
    unknown = [rule for rule in fail_on if rule not in RULES]
    if unknown:
        raise ValueError(f"unknown audit rules {unknown}: the CLI parses --fail-on against RULES")
    info = engine_call(engine.client.info, what="read the engine info")
    userns_remap = any("name=userns" in str(o) for o in info.get("SecurityOptions") or [])
    report = AuditReport(engine.url, engine.host.name, fail_on)
    if not userns_remap:
        report.notes.append(
            "the engine does not remap users (no --userns-remap): every container shares the host's user "
            "namespace, root inside is root outside (CIS 2.8); 5.31 is not judged per container"
        )
    containers = list_inspected(engine.client, all=True)
    socket = _socket_path(engine.url)
    reader, page = CgroupReader(engine.host), engine.host.page_size()  # one of each for the whole audit
    mount_tables: dict[str, list[Mount]] = {}
    for i, c in enumerate(containers, 1):
        progress(f"{i}/{len(containers)} {c.name}")
        try:
            report.containers.append(
                _audit_one(engine, c, reader, page, mount_tables, userns_remap=userns_remap, socket=socket)
            )
        except DockerctlError as exc:  # it went away while being read
            report.notes.append(f"{c.name}: not audited: {exc.message}")
    report.containers.sort(key=lambda r: (r.group, r.name))
    report.orphans = orphans(engine, containers, info, report.notes)
    return report


def clean_lab_host_orphans(name: str) -> OrphanCleanup:
    from dockerctl.fabric import labhosts

    with labhosts.engines_of([name]) as (eng,):
        return clean_orphans(eng)


def audit_lab_host(
    name: str, *, fail_on: tuple[str, ...] = DEFAULT_FAIL_ON, progress: Callable[[str], None] = lambda _: None
) -> AuditReport:
    """audit for a lab host (`--lab-host NAME`): its engine, its kernel where it is."""
    from dockerctl.fabric import labhosts

    with labhosts.engines_of([name]) as (eng,):
        return audit(eng, fail_on=fail_on, progress=progress)
