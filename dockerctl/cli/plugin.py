"""`dockerctl plugin serve|ls`: dockerctl's engine plugins (seed X1, V1), served on the engine's own
plugin interface (a socket in /run/docker/plugins)."""

from __future__ import annotations

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._args import group
from dockerctl.cli._context import lab_name
from dockerctl.cli.output import report_command
from dockerctl.ops.pool import PluginsReport, plugins_report
from dockerctl.plugins.daemon import serve_forever
from dockerctl.spec.gluster import GLUSTER_DRIVER

app = group("dockerctl's engine plugins: serve, ls.")


@app.command("serve")
def serve(
    lab: str = typer.Option(..., "--lab", callback=lab_name, help="The lab whose storage pool to serve."),
    driver: str = typer.Option(GLUSTER_DRIVER, "--driver", help="The driver name engines call it by."),
) -> None:
    """Serve a lab's volume driver in the foreground, until SIGTERM or Ctrl-C. A lab starts it itself
    (`play` with a storage: section) and `down` stops it; run it by hand only to watch its calls.

    Example:

      dockerctl plugin serve --lab volumes-across-hosts
    """
    serve_forever(lab, driver)


def _table(report: PluginsReport) -> None:
    if not report.rows:
        render.out.print("no dockerctl plugin is served")
        return
    table = render.fold_table(
        ("driver", "lab", "serves", "implements", "pid", "socket", "state"), title="dockerctl plugins"
    )
    for r in report.rows:
        table.add_row(
            escape(r.driver), escape(r.lab), r.kind, ", ".join(r.implements) or "-", str(r.pid or "-"),
            escape(r.socket), r.state,
        )  # fmt: skip
    render.out.print(table)


@report_command(app, "ls")
def ls(json_out: bool = False) -> None:
    """List the plugins dockerctl serves: the lab, the process, what each implements (asked of its socket
    with Plugin.Activate, as the engine asks). Exit 1 if one of them does not answer.

    Example:

      dockerctl plugin ls --json | jq '.plugins[] | {driver, implements}'
    """
    report = plugins_report()
    render.finish(report, json_out, lambda: _table(report))
