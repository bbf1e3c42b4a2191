"""`dockerctl down`: in a module of its own, so that removing a lab loads neither play nor the playbook
models unless a playbook FILE names the lab."""

from __future__ import annotations

from pathlib import Path

import typer

from dockerctl.cli import render
from dockerctl.cli._context import LabOfFile, PurgeGuestImage, engine
from dockerctl.engines.signals import on_stop
from dockerctl.errors import InvalidInput
from dockerctl.ops.down import down


def down_cmd(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="The playbook whose lab to remove."),
    lab: LabOfFile = None,
    keep_volumes: bool = typer.Option(
        False, "--keep-volumes", help="Keep the lab's volumes (and their data)."
    ),
    volumes: bool = typer.Option(
        False,
        "--volumes",
        help="Also remove the storage pool's volumes and their data (kept by default: they span hosts).",
    ),
    purge: PurgeGuestImage = False,
    wait: float = typer.Option(
        0,
        "--wait",
        min=0,
        help="If another run holds this lab, wait up to SECONDS (default: refuse at once).",
    ),
) -> None:
    """Remove exactly one lab's labelled resources — and nothing else — and the hosts it made.

    Examples:

      dockerctl down playbooks/limits.yaml

      dockerctl down --lab limits --keep-volumes

      dockerctl down --lab volumes-across-hosts --volumes

      dockerctl down --lab limits-vm --purge
    """
    if (file is None) == (lab is None):
        raise InvalidInput("give a playbook FILE or --lab NAME (one of them)", where="FILE/--lab")
    if lab is None:  # the playbook models are loaded only here: they take ~0.1 s
        from dockerctl.spec.playbook import load_playbook

        lab = load_playbook(file).name  # type: ignore[arg-type]
    name = lab
    whole = f"nothing was done: lab {name} is whole (`dockerctl down --lab {name}` removes it)"
    with on_stop(whole), engine(ctx) as eng:
        removed = down(eng, name, keep_volumes=keep_volumes, volumes=volumes, purge=purge, wait=wait)
    hosts = f", host(s) {', '.join(removed.hosts)}" if removed.hosts else ""
    render.out.print(
        f"lab {name}: removed {len(removed.containers)} container(s), {len(removed.networks)} "
        f"network(s), {len(removed.volumes)} volume(s){hosts}"
    )
    for path in removed.held:
        render.out.print(
            f"the lab still holds {path}: `dockerctl down --lab {name}` again removes what it names"
        )
    for image in removed.purged:
        render.out.print(f"removed the cached VM image {image}")
    if removed.kept_pool:
        render.out.print(
            f"kept the data of {len(removed.kept_pool)} storage-pool volume(s): {', '.join(removed.kept_pool)} "
            f"(`dockerctl down --lab {name} --volumes` removes it)"
        )
