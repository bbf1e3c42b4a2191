from __future__ import annotations

import typer

from dockerctl.apply.cleanup import remove_owned
from dockerctl.cli import render
from dockerctl.cli._context import engine, lab_name
from dockerctl.cli.output import report
from dockerctl.errors import InvalidInput
from dockerctl.ops.audit import OrphanCleanup, clean_lab_host_orphans, clean_orphans


@report
def cleanup(
    ctx: typer.Context,
    lab: str | None = typer.Option(None, "--lab", callback=lab_name, help="Only this lab's resources."),
    volumes: bool = typer.Option(
        False,
        "--volumes",
        "-v",
        help="Also remove dockerctl's volumes and its containers' anonymous volumes (deletes data; kept "
        "by default, as by `down`).",
    ),
    json_out: bool = False,
    orphans: bool = typer.Option(
        False,
        "--orphans",
        help="Instead: end the shims, remove the cgroups, netns files and veths of containers the engine lost track of "
        "(after a crash; `dockerctl audit` lists them).",
    ),
    host: str | None = typer.Option(
        None, "--lab-host", metavar="NAME", help="With --orphans: a lab host (see `dockerctl hosts ls`)."
    ),
) -> None:
    """Remove the containers and networks dockerctl created — and nothing else.

    Only resources labelled io.dockerctl.managed=true are touched; your own containers, networks and
    volumes never are. Volume data is kept unless --volumes is given.

    Examples:

      dockerctl cleanup

      dockerctl cleanup --lab limits --volumes

      dockerctl cleanup --orphans    # after an engine crash: what it no longer tracks

    With --orphans, each containerd shim of the engine's own namespace whose container the engine does
    not list, or lists as not running, is ended by PID — after checking its command line again and that
    every process ended is in that container's cgroup — and the container's empty cgroups are removed.
    Then each netns file under the engine's exec root that no running container uses is unmounted (in the
    daemon's mount namespace) and removed — its veths go with it — and veth pairs the engine made but never
    moved into a sandbox are deleted. Containers the engine runs, and other engines' shims, are never
    touched. Run it after a crash, not while the engine is starting containers.
    """
    if orphans:
        _orphans(ctx, host, json_out)
        return
    if host is not None:
        raise InvalidInput(
            "--lab-host is only used with --orphans",
            where="--lab-host",
            hint="dockerctl cleanup --orphans --lab-host NAME",
        )
    with engine(ctx) as eng:
        removed = remove_owned(eng.client, lab=lab, volumes=volumes)
    if json_out:
        render.emit_json(
            {"containers": removed.containers, "networks": removed.networks, "volumes": removed.volumes}
        )
    else:
        render.out.print(
            f"removed {len(removed.containers)} container(s), {len(removed.networks)} network(s), "
            f"{len(removed.volumes)} volume(s)"
        )


def _orphans(ctx: typer.Context, host: str | None, json_out: bool) -> None:
    report: OrphanCleanup
    if host:
        report = clean_lab_host_orphans(host)
    else:
        with engine(ctx) as eng:
            report = clean_orphans(eng)

    def show() -> None:
        for e in report.ended:
            if e.skipped:
                render.err.print(f"{e.container_id[:12]}: not cleaned: {e.skipped}", markup=False)
            else:
                render.out.print(
                    f"{e.container_id[:12]}: ended {len(e.processes)} process(es)"
                    + (f" and shim {e.shim}" if e.shim else "")
                    + f", removed {len(e.cgroups)} cgroup(s)",
                    markup=False,
                )
        for r in report.removed:
            if r.skipped:
                render.err.print(f"{r.kind} {r.name}: not removed: {r.skipped}", markup=False)
            else:
                render.out.print(f"removed {r.kind} {r.name}", markup=False)
        if not report.ended and not report.removed:
            render.out.print("nothing the engine lost track of")
        render.lines(report.notes, "note: ", on_err=True)

    render.finish(report, json_out, show)
