from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from dockerctl.apply.playbook import PARALLEL
from dockerctl.cli import render
from dockerctl.cli._args import JunitFile, PlaybookFile, group
from dockerctl.cli._context import engine
from dockerctl.cli.junit import write_junit
from dockerctl.cli.output import report, report_command
from dockerctl.errors import InvalidInput
from dockerctl.ops.play import PlayReport, play
from dockerctl.spec.playbook import Playbook, load_playbook

playbook_app = group("Playbook format: JSON Schema and validation.")


def _show(report: PlayReport) -> None:
    title = f"plan for lab {report.lab}" + (" (dry run: nothing touched)" if report.dry_run else "")
    table = render.fold_table(("kind", "name", "action", "reason"), title=title)
    for ch in report.plan:
        table.add_row(ch.kind, escape(ch.name), ch.action, escape(ch.reason))
    render.out.print(table)
    if report.checks:
        render.checks_table(f"expectations of {report.lab}", report.checks, observed="found")
        render.hold_summary(report.checks)
    render.lines(report.notes, "note: ", on_err=True)
    if report.error:
        render.err.print(f"error: {escape(report.error)}")


@report
def play_cmd(
    ctx: typer.Context,
    file: PlaybookFile,
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and print the plan; touch nothing."),
    keep: bool = typer.Option(
        False, "--keep", help="Leave the lab up afterwards (re-running is then a no-op)."
    ),
    parallel: int = typer.Option(PARALLEL, "--parallel", min=1, max=32, help="Containers created at once."),
    json_out: bool = False,
    junit: JunitFile = None,
    wait: float = typer.Option(
        0,
        "--wait",
        min=0,
        help="If another run holds this lab, wait up to SECONDS (default: refuse at once).",
    ),
    html: Path | None = typer.Option(
        None,
        "--html",
        help="Also write a self-contained HTML report here: the topology coloured by verdict, every check "
        "with its evidence, filterable by verdict and host.",
    ),
) -> None:
    """Build a lab from a playbook, prove every expectation, report, tear down.

    validate (errors at FILE:LINE) → plan (a diff against what the engine has) → apply in dependency
    order, independent containers in parallel → verify each expectation from the kernel or by traffic →
    report → tear down unless --keep. Exit 0 only when every expectation holds. Ctrl-C half-way
    removes what the run created; so does a failure, unless --keep (then it stays to be looked at).

    Examples:

      dockerctl play playbooks/limits.yaml

      dockerctl play playbooks/networks.yaml --keep --junit report.xml

      dockerctl play playbooks/storage.yaml --dry-run

      dockerctl play playbooks/overlay-hosts.yaml --html overlay.html
    """
    if html is not None:
        from dockerctl.pictures.files import check_target

        check_target(html, "--html", (".html",))
    with engine(ctx) as eng:
        status = render.status("validating")
        with status:
            report = play(
                eng,
                file,
                dry_run=dry_run,
                keep=keep,
                parallel=parallel,
                progress=lambda msg: status.update(msg),
                wait=wait,
            )
    if junit is not None:
        write_junit(junit, report.lab, report.checks, report.error)
    if html is not None:
        from dockerctl.pictures.pages import write_play_report

        write_play_report(report, file, html)
        render.err.print(f"wrote {escape(str(html))}")
    render.finish(report, json_out, lambda: _show(report))


@playbook_app.command("schema")
def schema() -> None:
    """Print the playbook format as JSON Schema.

    Example:

      dockerctl playbook schema > playbook.schema.json
    """
    render.emit_json(Playbook.model_json_schema())


@report_command(playbook_app, "validate")
def validate(file: PlaybookFile, json_out: bool = False) -> None:
    """Validate a playbook without an engine: errors at FILE:LINE with the key.

    Example:

      dockerctl playbook validate playbooks/limits.yaml
    """
    pb = load_playbook(file)
    if json_out:
        render.emit_json(
            {
                "file": str(file),
                "playbook": pb.name,
                "valid": True,
                "containers": len(pb.containers),
                "networks": len(pb.networks),
                "volumes": len(pb.volumes),
                "expectations": len(pb.expect),
            }
        )
        return
    render.out.print(
        f"{file}: playbook {pb.name} is valid — {len(pb.containers)} container(s), "
        f"{len(pb.networks)} network(s), {len(pb.volumes)} volume(s), {len(pb.expect)} expectation(s)"
    )


@report
def tour(
    ctx: typer.Context,
    directory: Path = typer.Argument(
        Path("playbooks"), help="A directory of playbooks, played in name order."
    ),
    json_out: bool = False,
    junit_dir: Path | None = typer.Option(None, "--junit-dir", help="Write one JUnit XML per playbook here."),
    html_dir: Path | None = typer.Option(
        None,
        "--html-dir",
        help="Write each playbook's HTML report (LAB.html), its topology (LAB.svg) and an index.html here.",
    ),
) -> None:
    """Play every playbook of a directory in order (the course's tour) and sum up; exit 1 if any fails.

    Examples:

      dockerctl tour playbooks

      dockerctl tour playbooks --html-dir reports
    """
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise InvalidInput(
            f"no *.yaml playbooks in {directory}",
            where="DIRECTORY",
            hint="give a directory of playbooks, e.g. playbooks",
        )
    reports: list[PlayReport] = []
    pages: list[tuple[PlayReport, str, str]] = []
    if html_dir is not None:
        from dockerctl.pictures.files import check_target
        from dockerctl.pictures.pages import write_graph, write_index, write_play_report
        from dockerctl.pictures.scene import scene_of

        html_dir.mkdir(parents=True, exist_ok=True)
        check_target(html_dir / "index.html", "--html-dir", (".html",))
    with engine(ctx) as eng:
        for f in files:
            status = render.status(f"{f.name}: starting")

            def progress(msg: str, name: str = f.name, st: Any = status) -> None:
                st.update(f"{name}: {msg}")

            with status:
                reports.append(play(eng, f, progress=progress))
            if junit_dir is not None:
                junit_dir.mkdir(parents=True, exist_ok=True)
                write_junit(junit_dir / f"{reports[-1].lab}.xml", reports[-1].lab, reports[-1].checks)
            if html_dir is not None:
                lab = reports[-1].lab
                write_play_report(reports[-1], f, html_dir / f"{lab}.html")
                write_graph(scene_of(f), html_dir / f"{lab}.svg")
                pages.append((reports[-1], f"{lab}.html", f"{lab}.svg"))
                write_index(pages, html_dir / "index.html")
    if json_out:
        render.emit_json([r.to_dict() for r in reports])
    else:
        table = Table(title=f"tour of {directory}", title_justify="left")
        for col in ("playbook", "claims", "checks", "result"):
            table.add_column(col)
        for r in reports:
            claims = ", ".join(sorted({c.claim for c in r.checks}))
            held = sum(c.ok for c in r.checks)
            table.add_row(
                escape(r.lab),
                escape(claims),
                f"{held}/{len(r.checks)}",
                "[green]holds[/green]" if r.ok else "[red]does not hold[/red]",
            )
        render.out.print(table)
        for r in reports:
            for c in r.checks:
                if not c.ok:
                    render.out.print(
                        f"[red]{escape(r.lab)}[/red]: {escape(c.subject)}: asked {escape(c.desired)}, "
                        f"found {escape(c.observed)} ({c.verdict})"
                    )
    if html_dir is not None:
        render.err.print(f"reports and pictures: {escape(str(html_dir / 'index.html'))}")
    if not all(r.ok for r in reports):
        raise typer.Exit(1)
