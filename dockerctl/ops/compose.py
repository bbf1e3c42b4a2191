"""`compose verify`: a running compose project checked against the file the operator wrote — each
resource key through HostConfig to the kernel, networks by traffic from inside each container's network
namespace, mounts, published ports, and drift (older file, missing replicas, `docker update`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from docker.models.containers import Container

from dockerctl.checks.limits import check_limits
from dockerctl.checks.subject import pid_of
from dockerctl.engines.client import engine_call
from dockerctl.engines.compose_cli import config_hashes, load_project
from dockerctl.engines.engine import Engine
from dockerctl.engines.signals import reached
from dockerctl.errors import DockerctlError, InvalidInput, NotFound
from dockerctl.hosts import Host
from dockerctl.jsonout import Jsonable
from dockerctl.observe.extra_limits import read_extra_limits
from dockerctl.observe.mounts import parse_mountinfo
from dockerctl.observe.netns_probe import (
    WriteOutcome,
    netns_inode,
    ping,
    resolve,
    tcp_answers,
    write_refused,
)
from dockerctl.spec.compose import Ask, ComposeNetwork, ComposeProject, ComposeService, ServicePort
from dockerctl.spec.models import DeviceRate, Limits
from dockerctl.verify.compose import CLAIM, Row, hash_check, judge_extra, layered, replicas_check
from dockerctl.verify.limits import select
from dockerctl.verify.verdict import Check, Verdict

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
ONEOFF = "com.docker.compose.oneoff"
HASH = "com.docker.compose.config-hash"
CONFIG_FILES = "com.docker.compose.project.config_files"
VERSION = "com.docker.compose.version"
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass
class ComposeReport(Jsonable):
    JSON = "project files read_with=reader engine ok warnings rows"

    project: str
    files: tuple[str, ...]
    reader: str
    engine: str
    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def checks(self) -> list[Check]:
        """Each row as a Check whose subject says where it comes from (for JUnit)."""
        from dataclasses import replace

        return [
            replace(
                r.check, subject=f"{r.service}{'/' + r.container if r.container else ''}: {r.check.subject}"
            )
            for r in self.rows
        ]


# ---------------------------------------------------------------------------------------------------------
# finding the file and the containers


def project_files(engine: Engine, files: list[Path], project: str | None, cwd: Path) -> list[Path]:
    """The files given; else the project's own (its containers' label); else compose's default names."""
    if files:
        return files
    if project:
        found = _containers(engine, project)
        if not found:
            raise NotFound(
                f"compose project {project} has no containers on the engine at {engine.url}",
                where="-p/--project-name",
                hint="`docker compose ls --all` lists the projects there",
            )
        for c in found:
            label = (c.labels or {}).get(CONFIG_FILES)
            if label:
                paths = [Path(p) for p in label.split(",")]
                missing = [str(p) for p in paths if not p.is_file()]
                if missing:
                    raise InvalidInput(
                        f"project {project} was started from {', '.join(missing)}, which is not on this machine",
                        where="-f/--file",
                        hint="give the compose file with -f",
                    )
                return paths
    for name in DEFAULT_FILES:
        if (cwd / name).is_file():
            return [cwd / name]
    raise InvalidInput(
        f"no compose file given and none of {', '.join(DEFAULT_FILES)} in {cwd}",
        where="-f/--file",
        hint="give one with -f, e.g. dockerctl compose verify -f compose.yaml",
    )


def _containers(engine: Engine, project: str) -> list[Container]:
    found = engine_call(
        engine.client.containers.list,
        all=True,
        filters={"label": [f"{PROJECT}={project}"]},
        what=f"list the containers of compose project {project}",
    )
    return [c for c in found if (c.labels or {}).get(ONEOFF, "False") != "True"]


def _number(c: Container) -> int:
    text = (c.labels or {}).get(NUMBER, "0")
    return int(text) if text.isdigit() else 0


# ---------------------------------------------------------------------------------------------------------
# limits


def _file_limits(asks: list[Ask]) -> Limits:
    values: dict[str, Any] = {}
    for ask in asks:
        if ask.spec is None or not ask.spec.field:
            continue
        value = ask.value
        if ask.spec.field == "cpus":
            value = value / 1e9
        elif ask.spec.kind == "rates":
            value = tuple(DeviceRate(path=p, rate=r) for p, r in value)
        values[ask.spec.field] = value
    return Limits(**values)


def limit_rows(engine: Engine, service: ComposeService, c: Container, drift: str) -> list[Row]:
    hc = c.attrs.get("HostConfig") or {}
    name = str(c.name)

    def row(ask: Ask, check: Check) -> Row:
        return Row(service.name, name, ask.where, layered(ask, check, hc, drift))

    def unknown(ask: Ask, why: str) -> Check:
        return Check(ask.key, CLAIM, ask.shown, "not read", Verdict.UNKNOWN, "", why)

    impossible = [a for a in service.asks if a.cannot_hold]
    if impossible:  # no kernel can hold the file's value: say why, rather than compare it
        return [
            row(
                a,
                Check(
                    a.key, CLAIM, a.shown, "cannot hold", Verdict.MISMATCH, "the compose file", a.cannot_hold
                ),
            )
            for a in impossible
        ] + limit_rows(
            engine, replace(service, asks=[a for a in service.asks if not a.cannot_hold]), c, drift
        )

    try:
        asked = _file_limits(service.asks)
    except InvalidInput as exc:
        return [
            row(a, unknown(a, f"the file's values do not make one limit set: {exc.message}"))
            for a in service.asks
        ]
    try:
        checks, _ = check_limits(engine.host, c, asked)
        extra = read_extra_limits(engine.host, pid_of(c), str(c.id))
    except DockerctlError as exc:  # the kernel unreachable, a cgroup gone, the engine
        why = getattr(exc, "message", str(exc))
        return [row(a, unknown(a, why)) for a in service.asks]
    out = []
    for ask in service.asks:
        if ask.spec is not None and ask.spec.field:
            found = select(checks, [ask.spec.field])
            check = found[0] if found else unknown(ask, "no kernel check for this key")
        else:
            check = judge_extra(ask, extra, engine.host.page_size())
        out.append(row(ask, check))
    return out


# ---------------------------------------------------------------------------------------------------------
# networks


def _engine_networks(c: Container) -> dict[str, dict[str, Any]]:
    return (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}


def _network_row(
    key: str, net: ComposeNetwork, desired: str, observed: str, verdict: Verdict, note: str = ""
) -> Row:
    """N6, N7: one network the project's services use, as the engine has it."""
    evidence = f"docker network inspect {net.name}"
    check = Check(f"network {key} ({net.name})", "N6,N7", desired, observed, verdict, evidence, note)
    return Row("", "", net.where, check)


def network_rows(
    engine: Engine, project: ComposeProject, by_service: dict[str, list[Container]]
) -> list[Row]:
    rows: list[Row] = []
    used = {n.name for s in project.services.values() for n in s.networks}
    for key in sorted(used):
        net = project.networks.get(key)
        if net is None:
            continue
        try:
            found = engine_call(engine.client.networks.get, net.name, what=f"find network {net.name}")
        except NotFound:
            rows.append(_network_row(key, net, "exists", "no such network", Verdict.MISMATCH))
            continue
        attrs = found.attrs
        subnets = tuple(
            c.get("Subnet") for c in (attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")
        )
        driver = str(attrs.get("Driver"))
        problems = []
        if net.driver and net.driver != driver:
            problems.append(f"driver {driver}, the file asks {net.driver}")
        missing = [s for s in net.subnets if s not in subnets]
        if missing:
            problems.append(f"subnet {', '.join(subnets) or 'none'}, the file asks {', '.join(missing)}")
        desired = f"driver {net.driver or 'bridge (default)'}" + (
            f", subnet {', '.join(net.subnets)}" if net.subnets else ""
        )
        observed = f"driver {driver}, subnet {', '.join(subnets) or 'none'}"
        verdict = Verdict.MISMATCH if problems else Verdict.ENFORCED
        rows.append(_network_row(key, net, desired, observed, verdict, "; ".join(problems)))
    for sname, containers in by_service.items():
        service = project.services.get(sname)
        if service is None:
            continue
        for c in containers:
            if not pid_of(c):
                continue
            attached = _engine_networks(c)
            for sn in service.networks:
                net = project.networks.get(sn.name)
                engine_name = net.name if net else sn.name
                subject = f"on network {sn.name}" + (f" as {', '.join(sn.aliases)}" if sn.aliases else "")
                entry = attached.get(engine_name)
                if entry is None:
                    observed, verdict = (
                        f"not attached (attached to {', '.join(attached) or 'nothing'})",
                        Verdict.MISMATCH,
                    )
                else:
                    aliases = set(entry.get("Aliases") or []) | set(entry.get("DNSNames") or [])
                    lost = [a for a in sn.aliases if a not in aliases]
                    observed = f"{entry.get('IPAddress') or 'no address'}" + (
                        f", aliases missing: {', '.join(lost)}" if lost else ""
                    )
                    verdict = Verdict.MISMATCH if lost else Verdict.ENFORCED
                rows.append(
                    Row(
                        sname,
                        str(c.name),
                        service.where,
                        Check(
                            subject,
                            "N8",
                            f"attached to {engine_name}",
                            observed,
                            verdict,
                            f"docker inspect {c.name} (NetworkSettings)",
                        ),
                    )
                )
    return rows


def traffic_rows(
    engine: Engine, project: ComposeProject, by_service: dict[str, list[Container]]
) -> list[Row]:
    """Services that share a network reach each other by service name and alias; services that share
    none do not reach each other at all — sent from inside each container's network namespace."""
    host = engine.host
    first: dict[str, Container] = {}
    for sname, containers in by_service.items():
        running = [c for c in containers if pid_of(c)]
        if running and sname in project.services:
            first[sname] = min(running, key=_number)
    rows: list[Row] = []
    for sname, service in project.services.items():
        mode = service.network_mode or ""
        if sname in first and mode.startswith(("service:", "container:")):
            other = mode.split(":", 1)[1]
            peer = first.get(other) if mode.startswith("service:") else _by_name(engine, other)
            a = netns_inode(host, pid_of(first[sname]))
            b = netns_inode(host, pid_of(peer)) if peer is not None else None
            rows.append(
                Row(
                    sname,
                    str(first[sname].name),
                    service.where,
                    Check(
                        f"network namespace shared with {other}",
                        "C3",
                        b or f"{other}'s",
                        a or "unreadable",
                        Verdict.ENFORCED if a and a == b else Verdict.MISMATCH,
                        f"/proc/PID/ns/net of both on {host.name}",
                    ),
                )
            )
    plain = {s: c for s, c in first.items() if not (project.services[s].network_mode or "")}
    for a_name, a in plain.items():
        a_svc = project.services[a_name]
        for b_name, b in plain.items():
            if a_name == b_name:
                continue
            b_svc = project.services[b_name]
            shared = {n.name for n in a_svc.networks} & {n.name for n in b_svc.networks}
            b_nets = _engine_networks(b)
            b_ips = {str(v["IPAddress"]) for v in b_nets.values() if v.get("IPAddress")}
            where = a_svc.where
            if shared:
                names = [
                    b_name,
                    *sorted({al for n in b_svc.networks if n.name in shared for al in n.aliases}),
                ]
                for name in names:
                    rows.append(Row(a_name, str(a.name), where, _reach_by_name(host, a, name, b_ips)))
            else:
                rows.append(Row(a_name, str(a.name), where, _isolated(host, a, b_name, sorted(b_ips))))
    return rows


def _by_name(engine: Engine, name: str) -> Container | None:
    try:
        return engine_call(engine.client.containers.get, name, what=f"find container {name}")
    except DockerctlError:
        return None


def _reach_by_name(host: Any, a: Container, name: str, b_ips: set[str]) -> Check:
    pid = pid_of(a)
    addresses, lookup = resolve(host, pid, name)
    subject = f"reaches {name} by name"
    if not addresses:
        return Check(
            subject,
            "C2",
            "resolves and answers",
            f"{name} not resolved ({lookup.output.splitlines()[-1] if lookup.output else 'no answer'})",
            Verdict.MISMATCH,
            lookup.command,
        )
    ours = [ip for ip in addresses if ip in b_ips]
    if not ours:
        return Check(
            subject,
            "C2",
            "resolves and answers",
            f"{name} → {', '.join(addresses)}, not the service's address",
            Verdict.MISMATCH,
            lookup.command,
        )
    answer = ping(host, pid, ours[0])
    return Check(
        subject,
        "C2",
        "resolves and answers",
        f"{name} → {ours[0]}, " + ("ping answered" if answer.ok else "no answer to ping"),
        Verdict.ENFORCED if answer.ok else Verdict.MISMATCH,
        f"{lookup.command}; {answer.command}",
    )


def _isolated(host: Any, a: Container, b_name: str, b_ips: list[str]) -> Check:
    pid = pid_of(a)
    reached = []
    commands = []
    addresses, lookup = resolve(host, pid, b_name)
    commands.append(lookup.command)
    for ip in b_ips:
        answer = ping(host, pid, ip)
        commands.append(answer.command)
        if answer.ok:
            reached.append(ip)
    observed = (
        ("reached " + ", ".join(reached))
        if reached
        else "no answer from " + (", ".join(b_ips) or "no address")
    )
    if addresses:
        observed += f"; {b_name} resolves to {', '.join(addresses)}"
    return Check(
        f"isolated from {b_name} (no network in common)",
        "C1",
        "isolated",
        observed,
        Verdict.MISMATCH if reached or addresses else Verdict.ENFORCED,
        "; ".join(commands),
    )


# ---------------------------------------------------------------------------------------------------------
# mounts and ports


def mount_rows(engine: Engine, project: ComposeProject, service: ComposeService, c: Container) -> list[Row]:
    host = engine.host
    pid = pid_of(c)
    info = host.read_text(f"/proc/{pid}/mountinfo") or ""
    table = parse_mountinfo(info)
    engine_mounts = {m.get("Destination"): m for m in c.attrs.get("Mounts") or []}
    rows = []
    for m in service.mounts:
        desired = f"{m.type} {m.source or '(anonymous)'}{' ro' if m.read_only else ''}"
        at = [x for x in table if x.mount_point == m.target]
        evidence = f"/proc/{pid}/mountinfo on {host.name}"
        problems: list[str] = []
        if not at:
            rows.append(
                Row(
                    service.name,
                    str(c.name),
                    m.where,
                    Check(f"mount {m.target}", "S3", desired, "not mounted", Verdict.MISMATCH, evidence),
                )
            )
            continue
        k = at[-1]
        em = engine_mounts.get(m.target) or {}
        observed = f"{k.fstype} {'ro' if k.read_only else 'rw'}"
        if m.type == "volume" and m.source:
            name = project.volumes.get(m.source, m.source)
            if em.get("Name") != name:
                problems.append(f"the engine mounts volume {em.get('Name') or 'none'}, the file asks {name}")
            observed += f" (volume {em.get('Name')})"
        elif m.type == "bind":
            if em.get("Source") != m.source:
                problems.append(f"the engine binds {em.get('Source')}, the file asks {m.source}")
            observed += f" (from {k.root})"
        elif m.type == "tmpfs" and k.fstype != "tmpfs":
            problems.append(f"filesystem {k.fstype}, not tmpfs")
        if m.read_only != k.read_only:
            problems.append(f"mounted {'ro' if k.read_only else 'rw'}")
        if m.read_only:
            seen, shown, wrote = _ro_by_a_write(host, pid, m.target)
            observed, evidence, problems = observed + seen, evidence + shown, problems + wrote
        rows.append(
            Row(
                service.name,
                str(c.name),
                m.where,
                Check(
                    f"mount {m.target}",
                    "S4" if m.read_only else "S3",
                    desired,
                    observed,
                    Verdict.MISMATCH if problems else Verdict.ENFORCED,
                    evidence,
                    "; ".join(problems),
                ),
            )
        )
    return rows


def _ro_by_a_write(host: Host, pid: int, target: str) -> tuple[str, str, list[str]]:
    """A ro mount proved by behaviour too → (added to observed, added to evidence, problems). When the
    probe gives no verdict (no python3 on the host, a file mount, a path it will not walk) the kernel's
    flag in mountinfo stands alone, and the row says so rather than claiming a write was refused."""
    probe = write_refused(host, pid, target)
    evidence = f"; {probe.command}: {probe.output}"
    if probe.outcome is WriteOutcome.REFUSED:
        return "; a write was refused", evidence, []
    if probe.outcome is WriteOutcome.WRITTEN:
        return "; a write succeeded", evidence, ["a write succeeded"]
    return "; the write probe gave no verdict", evidence, []


WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")  # nosec B104  # compared with what compose bound, never bound


def port_rows(engine: Engine, service: ComposeService, c: Container) -> list[Row]:
    rows = []
    bound = (c.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for p in service.ports:
        if p.published is None:
            continue

        def row(observed: str, verdict: Verdict, evidence: str, note: str = "", p: ServicePort = p) -> Row:
            shown = p.host_ip or "0.0.0.0"  # nosec B104  # the address compose binds, shown, never bound here
            subject = f"port {shown}:{p.published} → {p.target}/{p.protocol}"
            check = Check(subject, "O2", "published and answering", observed, verdict, evidence, note)
            return Row(service.name, str(c.name), p.where, check)

        bindings = bound.get(f"{p.target}/{p.protocol}") or []
        if not [b for b in bindings if str(b.get("HostPort")) == str(p.published)]:
            published = ", ".join(str(b.get("HostPort")) for b in bindings) or "nothing"
            rows.append(row(f"the engine publishes {published}", Verdict.MISMATCH,
                            f"docker inspect {c.name} (NetworkSettings.Ports)"))  # fmt: skip
        elif not engine.host.local_network or p.protocol != "tcp":
            rows.append(row("published (not connected to)", Verdict.UNKNOWN, "NetworkSettings.Ports",
                            "only TCP ports of an engine on this machine are connected to"))  # fmt: skip
        else:
            address = p.host_ip if p.host_ip not in WILDCARD_ADDRESSES else "127.0.0.1"
            probe = tcp_answers(address, p.published)
            rows.append(row(probe.output, Verdict.ENFORCED if probe.ok else Verdict.MISMATCH, probe.command))
    return rows


# ---------------------------------------------------------------------------------------------------------
# the whole project


def _gone(engine: Engine, c: Container) -> str:
    """'' while the container runs as the process that was read; else what became of it."""
    try:
        now = engine_call(engine.client.containers.get, str(c.id), what=f"find container {c.name}")
    except NotFound:
        return "removed while being checked"
    if pid_of(now) != pid_of(c):
        return f"{now.status} (restarted or stopped) while being checked"
    return ""


def verify_project(
    engine: Engine,
    files: list[Path],
    project_name: str | None,
    *,
    cwd: Path,
    use_compose: bool = True,
    traffic: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> ComposeReport:
    files = project_files(engine, files, project_name, cwd)
    project, binary = load_project(files, project_name, use_compose=use_compose)
    containers = _containers(engine, project.name)
    impossible = [a for s in project.services.values() for a in s.asks if a.cannot_hold]
    if not containers and impossible:
        raise InvalidInput(
            f"compose project {project.name} has no containers, and no kernel can hold what the file asks: "
            + "; ".join(a.cannot_hold for a in impossible),
            where=impossible[0].where,
            hint="give a value the engine takes (e.g. mem_limit: 64m, cpus: 0.5)",
        )
    if not containers:
        raise NotFound(
            f"compose project {project.name} has no containers on the engine at {engine.url}",
            where=project.files[0],
            hint=f"`docker compose -f {files[0]} up -d` starts it; -p names another project",
        )
    report = ComposeReport(project.name, project.files, project.reader, engine.url)
    report.warnings += project.notes
    firsts = {}
    for c in sorted(containers, key=_number, reverse=True):
        firsts[(c.labels or {}).get(SERVICE, "?")] = str(c.id)
    hashes = config_hashes(binary, project, firsts) if binary else {}
    if binary is None:
        report.warnings.append(
            "no Docker Compose v2 here: the file was read by dockerctl's own reader (a subset) and "
            "containers were not compared with the file's config hash"
        )
    unhashed: set[str] = set()  # compose versions whose config hashes cannot be compared with ours
    by_service: dict[str, list[Container]] = {}
    for c in sorted(containers, key=_number):
        by_service.setdefault((c.labels or {}).get(SERVICE, "?"), []).append(c)
    for sname, found in by_service.items():
        if sname not in project.services:
            for c in found:
                report.rows.append(
                    Row(
                        sname,
                        str(c.name),
                        project.files[0],
                        Check(
                            "in the file",
                            CLAIM,
                            "a service of the file",
                            f"service {sname} is not in the file",
                            Verdict.MISMATCH,
                            f"label {SERVICE}",
                            "an orphan: `docker compose up --remove-orphans` removes it",
                        ),
                    )
                )
    for sname, service in project.services.items():
        progress(f"service {sname}")
        found = by_service.get(sname, [])
        running = [str(c.name) for c in found if c.status == "running" and pid_of(c)]
        stopped = [f"{c.name} ({c.status})" for c in found if not (c.status == "running" and pid_of(c))]
        report.rows.append(Row(sname, "", service.where, replicas_check(service.replicas, running, stopped)))
        for c in found:
            reached("compose:checking")  # a test hook: the containers are listed, this one is next
            labels = c.labels or {}
            check = hash_check(
                labels.get(HASH), hashes.get(sname) if binary else None, labels.get(VERSION, ""),
                binary.version if binary else "",
            )  # fmt: skip
            if check is not None:
                report.rows.append(Row(sname, str(c.name), service.where, check))
            elif binary is not None:
                unhashed.add(labels.get(VERSION, "?"))
            if not pid_of(c):
                continue
            drift = (
                ""
                if check is None or check.ok
                else "the container was made from an older version of the file"
            )
            rows = limit_rows(engine, service, c, drift)
            rows += mount_rows(engine, project, service, c)
            rows += port_rows(engine, service, c)
            gone = _gone(engine, c)
            if gone:  # what was read of it may be half of a container and half of nothing
                rows = [
                    Row(
                        sname,
                        str(c.name),
                        service.where,
                        Check(
                            "checked while running",
                            CLAIM,
                            "running",
                            gone,
                            Verdict.UNKNOWN,
                            f"docker inspect {c.name}",
                            "run `dockerctl compose verify` again once it is steady",
                        ),
                    )
                ]
            report.rows.extend(rows)
    for version in sorted(unhashed):
        report.warnings.append(
            f"containers made by compose {version}: their config hash cannot be compared with compose "
            f"{binary.version if binary else '?'}'s, so whether they come from an older file was not checked"
        )
    progress("networks")
    report.rows.extend(network_rows(engine, project, by_service))
    if traffic:
        progress("traffic between services")
        report.rows.extend(traffic_rows(engine, project, by_service))
    return report
