from __future__ import annotations

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._args import RunningContainer
from dockerctl.cli._context import engine
from dockerctl.cli.output import report
from dockerctl.ops.storage import MountsReport, mounts_report


def _show(report: MountsReport) -> None:
    table = render.fold_table(
        (
            "mount point",
            "kind",
            "source",
            "host path",
            "fs",
            "mode",
            "propagation",
            "kernel (dev root)",
        ),
        title=f"{report.name}: mounts from /proc/<pid>/mountinfo (storage driver {report.storage_driver})",
    )
    for r in report.rows:
        table.add_row(
            *(
                escape(x)
                for x in (
                    r.mount_point,
                    r.kind,
                    r.source,
                    r.host_path,
                    r.fstype,
                    "ro" if r.read_only else "rw",
                    r.propagation,
                    r.kernel,
                )
            )
        )
    render.out.print(table)
    if report.checks:
        render.checks_table("write probes", report.checks, observed="measured")


@report
def mounts(
    ctx: typer.Context,
    container: RunningContainer,
    all_mounts: bool = typer.Option(False, "--all", help="Also list /proc, /sys and /dev mounts."),
    prove: bool = typer.Option(False, "--prove", help="Prove ro/rw of each volume and bind by a write."),
    json_out: bool = False,
) -> None:
    """The container's mounts as the kernel has them: mount point, what it is (container layer, volume,
    bind, engine file), its source and host path, filesystem, ro/rw, propagation (seed S1–S5).

    With --prove each volume and bind mount is checked by a write: refused on :ro, taken on rw.

    Examples:

      dockerctl mounts web

      dockerctl mounts web --prove --json
    """
    with engine(ctx) as eng:
        report = mounts_report(eng, container, include_pseudo=all_mounts, prove=prove)
    render.finish(report, json_out, lambda: _show(report))
