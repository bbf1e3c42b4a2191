from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from dockerctl.cli import render
from dockerctl.cli._args import RunningContainer
from dockerctl.cli._context import engine
from dockerctl.cli.output import report
from dockerctl.observe.namespaces import KINDS, NEEDS_ROOT
from dockerctl.ops.namespaces import NsReport, ns_report


def _show(report: NsReport) -> None:
    table = Table(title="namespace ids (/proc/<pid>/ns/*)", title_justify="left")
    table.add_column("namespace")
    for s in report.subjects:
        table.add_column(escape(s))
    for kind in KINDS:
        cells = [
            NEEDS_ROOT
            if kind in report.unknown.get(s, [])
            else report.ids[s].get(kind, "-").split(":", 1)[-1]
            for s in report.subjects
        ]
        table.add_row(kind, *(escape(c) for c in cells))
    render.out.print(table)
    pairs = Table(title="shared or private (seed K2-K8)", title_justify="left")
    pairs.add_column("pair")
    for kind in KINDS:
        pairs.add_column(kind)
    for p in report.pairs:
        cells = [_cell(p.get(k)) for k in KINDS]
        pairs.add_row(escape(f"{p['a']} / {p['b']}"), *cells)
    render.out.print(pairs)
    render.lines(report.explanations, "- ")
    if report.unknown:
        render.err.print(
            f"note: {NEEDS_ROOT}: another user's /proc/<pid>/ns/* cannot be read without root "
            "(those ids and pairs are not known, not private)"
        )


def _cell(value: str | None) -> str:
    if value == "shared":
        return "[yellow]shared[/yellow]"
    if value == "private":
        return "private"
    return escape(value) if value else "-"  # unknown: needs root; - : a kind this kernel does not have


@report
def ns(
    ctx: typer.Context,
    container: RunningContainer,
    with_: list[str] | None = typer.Option(None, "--with", help="Other containers to compare; repeatable."),
    json_out: bool = False,
) -> None:
    """Which namespaces does this container really share? The inode ids of mnt, uts, ipc, pid, net,
    user and cgroup for the container, the host and the others given, shared/private for each pair,
    and why: --network container:X, --network host/none, --pid/--ipc, the hostname (default: the short
    id), and whether users are remapped (uid_map, daemon --userns-remap). Without root, another user's
    /proc/<pid>/ns/* cannot be read: those ids and pairs say "unknown: needs root", never private.

    Examples:

      dockerctl ns web

      dockerctl ns web --with sidecar --json
    """
    with engine(ctx) as eng:
        report = ns_report(eng, container, with_ or [])
    render.finish(report, json_out, lambda: _show(report))
