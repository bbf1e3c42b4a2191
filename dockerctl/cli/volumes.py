from __future__ import annotations

import sys

import typer
from rich.markup import escape

from dockerctl.apply.volumes import (
    create_volume,
    inspect_volume,
    list_volumes,
    prune_volumes,
    remove_container,
    remove_volume,
)
from dockerctl.cli import render
from dockerctl.cli._args import any_owner_option, group
from dockerctl.cli._context import GroupUnderLab, engine
from dockerctl.cli._rm import add_rm
from dockerctl.cli.output import report, report_command
from dockerctl.errors import InvalidInput
from dockerctl.ops.storage import compare_storage
from dockerctl.spec.inputs import key_values

app = group("Managed volumes (seed S3, S5, S9): create, list, inspect, remove, prune.")


@report_command(app, "create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)."),
    driver: str = typer.Option("local", "--driver", "-d", help="Volume driver (seed V1)."),
    opt: list[str] | None = typer.Option(
        None, "--opt", "-o", help="Driver option KEY=VALUE (seed V2); repeatable."
    ),
    lab: GroupUnderLab = None,
    json_out: bool = False,
) -> None:
    """Create a labelled volume. Re-running for one of dockerctl's volumes changes nothing.

    Examples:

      dockerctl vol create appdata

      dockerctl -H unix:///run/dctl-vah1.sock vol create xxxdata --driver dockerctl-gluster --opt size=2
    """
    options = key_values(opt, where="--opt")
    with engine(ctx) as eng:
        vol, created = create_volume(eng.client, name, driver=driver, options=options, lab=lab)
    if json_out:
        render.emit_json({"name": vol.name, "created": created, "mountpoint": vol.attrs.get("Mountpoint")})
    else:
        render.out.print(
            f"{'created' if created else 'exists already'}: {vol.name} ({vol.attrs.get('Mountpoint')})"
        )


@report_command(app, "ls")
def ls(
    ctx: typer.Context,
    any_owner: bool = any_owner_option("volumes"),
    json_out: bool = False,
) -> None:
    """List volumes with where their data lives and which containers use them.

    Example:

      dockerctl vol ls --any-owner
    """
    with engine(ctx) as eng:
        infos = list_volumes(eng.client, all_owners=any_owner)
    if json_out:
        render.emit_json([i.to_dict() for i in infos])
        return
    table = render.fold_table(("name", "owner", "lab", "used by", "data on the host"), title="volumes")
    for i in infos:
        table.add_row(
            escape(i.name),
            "dockerctl" if i.owned else "other",
            escape(i.lab),
            escape(", ".join(i.used_by) or "(dangling)"),
            escape(i.mountpoint),
        )
    render.out.print(table)


@app.command("inspect")
def inspect(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Volume name."),
    json_out: bool = typer.Option(
        True, "--json", hidden=True, help="Accepted for scripts: JSON is the only form."
    ),
) -> None:
    """The engine's view of a volume plus the containers that use it (JSON). For a volume of a storage
    pool, Status holds what the driver says: its size, replica count and bricks.

    Examples:

      dockerctl vol inspect appdata

      dockerctl -H unix:///run/dctl-vah1.sock vol inspect xxxdata | jq .Status.bricks
    """
    with engine(ctx) as eng:
        render.emit_json(inspect_volume(eng.client, name))


_RM_HELP = """Remove volumes (their data is deleted). A volume in use is never removed.

    Example:

      dockerctl vol rm appdata
    """
add_rm(app, "volume", remove_volume, _RM_HELP)


@report_command(app, "prune")
def prune(
    ctx: typer.Context,
    any_owner: bool = typer.Option(
        False, "--any-owner", help="Every dangling volume, not only dockerctl's (asks first)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = False,
) -> None:
    """Remove dangling volumes dockerctl made (S9). With --any-owner also other owners' — after a
    confirmation.

    Examples:

      dockerctl vol prune

      dockerctl vol prune --any-owner --yes
    """
    if any_owner and not yes:
        if not sys.stdin.isatty():
            raise InvalidInput(
                "--any-owner deletes other owners' data too: confirm with --yes (no terminal to ask on)",
                where="--any-owner",
            )
        typer.confirm(
            "Remove EVERY dangling volume on this engine, including ones dockerctl did not make?", abort=True
        )
    with engine(ctx) as eng:
        removed = prune_volumes(eng.client, all_owners=any_owner)
    if json_out:
        render.emit_json({"removed": removed})
    else:
        render.out.print(
            f"removed {len(removed)} dangling volume(s){': ' + ', '.join(removed) if removed else ''}"
        )


@report_command(app, "compare")
def compare(
    ctx: typer.Context,
    json_out: bool = False,
    local_only: bool = typer.Option(
        False, "--local-only", help="Skip the third column (a volume across hosts: ~30 s more)."
    ),
) -> None:
    """Bind mount vs managed volume vs a volume across hosts (seed S3, S7, V1, V2), every cell from an
    experiment.

    Runs throwaway labelled containers and volumes (removed afterwards): location, effect on an
    existing mount point, single files, ro/rw, portability, data surviving its container. Rows where
    a current engine differs from the course's table say so. The third column brings up two simulated
    hosts with a GlusterFS pool (lab vol-compare, 198.18.108.0/24), runs the same experiments with
    containers on both, and removes it all again.

    Examples:

      dockerctl vol compare

      dockerctl vol compare --local-only --json
    """
    with engine(ctx) as eng, render.status("running the S7 experiments") as status:
        report = compare_storage(eng, across_hosts=not local_only, progress=lambda m: status.update(m))
    if json_out:
        render.emit_json(report.to_dict())
        return
    cols = ["property", "bind mount", "managed volume", *([] if local_only else ["volume across hosts"])]
    table = render.fold_table(
        [*cols, "course says (bind / volume)", "evidence"],
        title="bind mount vs managed volume vs volume across hosts, measured here (seed S3, S7, V1, V2)",
    )
    for r in report.rows:
        seed = escape(f"{r.seed_bind} / {r.seed_volume}") + (
            "" if r.agrees else "\n[yellow]differs today[/yellow]"
        )
        cells = [escape(f"{r.property} ({r.claim})"), escape(r.bind), escape(r.volume)]
        cells += [] if local_only else [escape(r.across or "not measured")]
        evidence = r.evidence + (
            "" if local_only or not r.across_evidence else f"; across hosts: {r.across_evidence}"
        )
        table.add_row(*cells, seed, escape(evidence))
    render.out.print(table)


@report
def rm_container(
    ctx: typer.Context,
    containers: list[str] = typer.Argument(..., help="Container names or ids."),
    volumes: bool = typer.Option(False, "--volumes", "-v", help="Also remove their anonymous volumes (S9)."),
    force: bool = typer.Option(False, "--force", "-f", help="Remove running containers too."),
    any_owner: bool = any_owner_option("containers"),
    json_out: bool = False,
) -> None:
    """Remove containers, like `docker rm`. -v removes their anonymous volumes; named volumes always stay.

    Examples:

      dockerctl rm -f web

      dockerctl rm -v scratch
    """
    with engine(ctx) as eng:
        render.remove_each(
            json_out,
            containers,
            lambda ref: remove_container(eng.client, ref, volumes=volumes, force=force, any_owner=any_owner),
            "",
        )
