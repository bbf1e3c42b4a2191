"""`dockerctl down`: in a module of its own, so that removing a lab loads neither play nor the playbook
models unless a playbook FILE names the lab."""

from __future__ import annotations

from pathlib import Path

import typer

from dockerctl.cli import render
from dockerctl.cli._args import RemoveVolumes
from dockerctl.cli._context import LabOfFile, PurgeGuestImage, engine
from dockerctl.cli.output import report
from dockerctl.engines.signals import on_stop
from dockerctl.errors import InvalidInput
from dockerctl.ops.down import down


@report
def down_cmd(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="The playbook whose lab to remove."),
    lab: LabOfFile = None,
    volumes: RemoveVolumes = False,
    keep_volumes: bool = typer.Option(
        False, "--keep-volumes", hidden=True, help="Accepted for old scripts: volumes are kept by default."
    ),
    purge: PurgeGuestImage = False,
    wait: float = typer.Option(
        0,
        "--wait",
        min=0,
        help="If another run holds this lab, wait up to SECONDS (default: refuse at once).",
    ),
    json_out: bool = False,
) -> None:
    """Remove exactly one lab's labelled resources — and nothing else — and the hosts it made.

    As with `docker compose down`, volumes and their data are kept unless --volumes (-v) is given: then
    the lab's volumes and its storage pool's volumes go too.

    Examples:

      dockerctl down playbooks/limits.yaml

      dockerctl down --lab limits --volumes

      dockerctl down --lab volumes-across-hosts -v

      dockerctl down --lab limits-vm --purge
    """
    if (file is None) == (lab is None):
        raise InvalidInput("give a playbook FILE or --lab NAME (one of them)", where="FILE/--lab")
    if keep_volumes and volumes:
        raise InvalidInput(
            "--keep-volumes keeps every volume and --volumes removes them: give one of them",
            where="--volumes",
        )
    if keep_volumes:
        render.err.print(
            "note: --keep-volumes is the default now (volumes go only with --volumes)", markup=False
        )
    if lab is None:  # the playbook models are loaded only here: they take ~0.1 s
        from dockerctl.spec.playbook import load_playbook

        lab = load_playbook(file).name  # type: ignore[arg-type]
    name = lab
    whole = f"nothing was done: lab {name} is whole (`dockerctl down --lab {name}` removes it)"
    with on_stop(whole), engine(ctx) as eng:
        removed = down(eng, name, keep_volumes=not volumes, volumes=volumes, purge=purge, wait=wait)
    if json_out:
        render.emit_json(
            {
                "lab": name,
                "containers": removed.containers,
                "networks": removed.networks,
                "volumes": removed.volumes,
                "services": removed.services,
                "hosts": removed.hosts,
                "kept_pool_volumes": removed.kept_pool,
                "purged_images": removed.purged,
                "held": removed.held,
            }
        )
        return
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
