from __future__ import annotations

import typer

from dockerctl.apply.cleanup import remove_owned
from dockerctl.cli import render
from dockerctl.cli._context import engine, lab_name


def cleanup(
    ctx: typer.Context,
    lab: str | None = typer.Option(None, "--lab", callback=lab_name, help="Only this lab's resources."),
    volumes: bool = typer.Option(
        False,
        "--volumes",
        help="Also remove dockerctl's volumes and its containers' anonymous volumes (deletes data).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what was removed as JSON."),
) -> None:
    """Remove the containers and networks dockerctl created — and nothing else.

    Only resources labelled io.dockerctl.managed=true are touched; your own containers, networks and
    volumes never are. Volume data is kept unless --volumes is given.

    Examples:

      dockerctl cleanup

      dockerctl cleanup --lab limits --volumes
    """
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
