"""`audit`: every container on an engine, judged from its kernel."""

from __future__ import annotations

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._context import LabHost, engine
from dockerctl.cli.output import report
from dockerctl.errors import InvalidInput
from dockerctl.ops.audit import AuditReport, audit_lab_host
from dockerctl.ops.audit import audit as run_audit
from dockerctl.verify.audit import DEFAULT_FAIL_ON, RULES, parse_fail_on


def _fail_on(value: str) -> tuple[str, ...]:
    try:
        return parse_fail_on(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), where="--fail-on") from None


def _show(report: AuditReport) -> None:
    render.out.print(f"engine {escape(report.engine)}, kernel read on {escape(report.host)}")
    table = render.fold_table(
        (
            "group",
            "container",
            "status",
            "limits held",
            "memory",
            "OOM kills",
            "throttled",
            "pids",
            "findings",
        ),
        title="containers",
    )
    for c in report.containers:
        p = c.pressure
        held = f"{sum(ch.ok for ch in c.checks)}/{len(c.checks)}" if c.checks else "-"
        memory = (
            "-"
            if p is None or p.memory_usage is None
            else (
                f"{p.memory_usage / 2**20:.1f}MiB / "
                + ("∞" if p.memory_limit is None else f"{p.memory_limit / 2**20:.0f}MiB")
            )
        )
        throttled = "-" if p is None or not p.cpu_periods else f"{p.cpu_throttled_periods}/{p.cpu_periods}"
        pids = "-" if p is None or p.pids_current is None else f"{p.pids_current}/{p.pids_max or '∞'}"
        rules = sorted(
            {(f.rule + (" (unknown)" if f.unknown else ""), f.fails(report.fail_on)) for f in c.findings}
        )
        marked = ", ".join(f"[red]{r}[/red]" if bad else r for r, bad in rules)
        table.add_row(escape(c.group), escape(c.name), escape(c.status), held, memory,
                      str(p.oom_kills if p and p.oom_kills is not None else "-"), throttled, pids,
                      marked or (escape(c.note) if c.note else "-"))  # fmt: skip
    render.out.print(table)
    detail = render.fold_table(("rule", "CIS", "container", "found", "evidence"), title="findings")
    for f in sorted(report.findings, key=lambda f: (not f.fails(report.fail_on), f.rule, f.container)):
        rule = f.rule + (" (unknown)" if f.unknown else "")
        rule = f"[red]{rule}[/red]" if f.fails(report.fail_on) else rule
        detail.add_row(rule, f.cis or "-", escape(f.container), escape(f.found), escape(f.evidence))
    if report.findings:
        render.out.print(detail)
    bad = report.failing
    render.out.print(
        f"[green]no finding of {', '.join(report.fail_on) or 'no rule'}[/green]"
        if not bad
        else f"[red]{len(bad)} finding(s) of --fail-on "
        + ("all" if set(report.fail_on) == set(RULES) else ",".join(report.fail_on))
        + "[/red]"
    )
    render.lines(report.notes, "note: ", on_err=True)


@report
def audit(
    ctx: typer.Context,
    json_out: bool = False,
    fail_on: str = typer.Option(
        ",".join(DEFAULT_FAIL_ON),
        "--fail-on",
        help=f"Rules whose findings give exit 1 (comma-separated, `all` or `none`): {', '.join(RULES)}.",
    ),
    host: LabHost = None,
) -> None:
    """Every container on the engine, whoever started it (grouped by compose project, swarm service,
    dockerctl lab, none): what it asked and whether the kernel holds it; the CIS Docker Benchmark's
    resource and isolation items judged from the kernel, not from `docker inspect` — memory (5.11), CPU
    priority (5.12), pids (5.29), privileged (5.5), sensitive host dirs rw (5.6), host network / PID /
    IPC / UTS / user namespace (5.10, 5.16, 5.17, 5.21, 5.31 — namespace inodes against the container's
    shim), the engine's socket inside under any name (5.32 — device and inode), writable root (5.13);
    the pressure since it started (OOM kills, limit hits, CPU throttling, forks refused at pids.max); and
    shims and cgroups of containers the engine no longer lists (orphans). Read-only.

    Run without root, the namespaces of other users' processes cannot be read: those findings say
    "unknown: needs root" (rule `unreadable`, or the namespace's own rule where the engine says `host`),
    never "not shared".

    Exit 1 when a finding of a --fail-on rule is there (default: limits not held, and what could not be
    read), 3 when no engine answers or its socket refuses this user.

    Examples:

      dockerctl audit

      dockerctl audit --fail-on not-enforced,no-memory-limit,oom-killed,orphan    # for cron and CI

      dockerctl audit --json | jq '.containers[] | select(.findings | length > 0) | .name'

      dockerctl audit --lab-host svh1
    """
    rules = _fail_on(fail_on)
    with render.status("auditing the engine's containers") as status:
        progress = lambda what: status.update(f"auditing {what}")  # noqa: E731
        if host:
            report = audit_lab_host(host, fail_on=rules, progress=progress)
        else:
            with engine(ctx) as eng:
                report = run_audit(eng, fail_on=rules, progress=progress)
    render.finish(report, json_out, lambda: _show(report))
