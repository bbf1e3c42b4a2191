from __future__ import annotations

import typer

from dockerctl.cli import limit_flags as lf
from dockerctl.cli import render
from dockerctl.cli._context import engine
from dockerctl.cli.output import report
from dockerctl.errors import NotFound
from dockerctl.ops.limits import is_service, limits_report, service_limits_report, update_limits
from dockerctl.spec.inputs import limit_fields


@report
def limits(
    ctx: typer.Context,
    container: str = typer.Argument(..., help="Container (name or id), or a swarm service on this engine."),
    json_out: bool = False,
) -> None:
    """One row per limit: what was asked, what the engine kept (HostConfig), what the kernel holds.

    Verdicts: enforced / unlimited / not-enforced (this kernel cannot) / mismatch / unknown. For
    containers dockerctl made, "asked" is what the user asked (recorded on the container), so a
    setting the engine silently dropped shows up. Exit code 1 when any limit does not hold.

    Examples:

      dockerctl limits web

      dockerctl limits web --json | jq '.checks[] | select(.ok | not)'

      dockerctl -H unix:///run/dctl-svh1.sock limits swarm-service-limits-web   # one row per task and node
    """
    with engine(ctx) as eng:
        try:
            report = limits_report(eng, container)
        except NotFound:
            if not is_service(eng, container):
                raise
            service = service_limits_report(eng, container)
            render.finish(service, json_out, lambda: render.service_limits(service))
            return
    render.finish(report, json_out, lambda: render.limits_report(report), unreachable=report.unreachable)


@lf.limit_options(before="verify")
@report
def update(
    ctx: typer.Context,
    container: str = typer.Argument(..., help="Container name or id (running)."),
    verify: bool = typer.Option(False, "--verify", help="Read every limit back from the kernel afterwards."),
    json_out: bool = False,
) -> None:
    """Change limits of a running container (like `docker update`, plus --cpus, --pids-limit and device
    throttles through the engine's update endpoint), then optionally verify them in the kernel.

    As with `docker update`, -m alone keeps the current memory+swap limit. Device throttles are
    refused: the engine accepts them on update and ignores them; recreate the container instead.

    Examples:

      dockerctl update web --cpus 0.5 --pids-limit 100 --verify

      dockerctl update web -m 200M --memory-swap 400M --verify --json
    """
    changes = limit_fields(ctx.params)
    with engine(ctx) as eng:
        report = update_limits(eng, container, changes, verify=verify)

    def show() -> None:
        render.out.print(f"updated {report.name} ({report.container_id[:12]})")
        if verify:
            render.limits_report(report)

    render.finish(report, json_out, show, unreachable=report.unreachable)
