from __future__ import annotations

import typer

from dockerctl.cli import render
from dockerctl.cli._context import LabHost, host_of
from dockerctl.cli.helptext import naming_models
from dockerctl.cli.output import report
from dockerctl.errors import ExitCode
from dockerctl.ops.doctor import doctor_report
from dockerctl.ops.hosts import doctor_host


@naming_models
@report
def doctor(
    ctx: typer.Context,
    json_out: bool = False,
    links: bool = typer.Option(
        True, "--links/--no-links", help="Probe which link types the kernel can make."
    ),
    host: LabHost = None,
) -> None:
    """What the engine's host can and cannot enforce, each line with its evidence.

    Reads the engine's report, the cgroup files and the mount table, and probes link types inside a
    throwaway network namespace — on the machine the engine runs on (over ssh for -H ssh://…; an
    engine reached over tcp:// gets "kernel readable: unknown"). Exit code 3 when no engine answers.

    It also names the third-party network model the kernel carries — {modes} — by the devices, routes,
    FDB and chains those projects make, and says whether the entries agree (e.g. each route has its
    neighbour and FDB entry), and overlay or underlay. Read-only.

    Examples:

      dockerctl doctor

      dockerctl doctor --json | jq '.capabilities[] | select(.verdict != "supported")'

      dockerctl -H ssh://root@10.0.0.5 doctor

      dockerctl doctor --lab-host ovh1
    """
    report = doctor_host(host, probe_links=links) if host else doctor_report(host_of(ctx), probe_links=links)
    if json_out:
        render.emit_json(report.to_dict())
    else:
        if report.host:
            render.out.print(f"kernel read on: {report.host}", markup=False)
        render.capabilities_table(report.capabilities)
        render.out.print(render.support_summary(report.capabilities))
        if report.models_read:
            render.models_table(report.models, report.looked_for)
        if report.kernel_error:
            render.err.print(f"dockerctl: {report.kernel_error}", markup=False)
    if not report.engine.reachable:
        if not json_out:
            render.err.print(f"dockerctl: error: {report.engine.error}", markup=False)
        raise typer.Exit(int(ExitCode.ENGINE_UNAVAILABLE))
