from __future__ import annotations

from pathlib import Path

import typer

from dockerctl.cli import render
from dockerctl.cli._args import group
from dockerctl.cli._context import GroupUnderLab, engine
from dockerctl.cli.output import report_command
from dockerctl.ops.storage import create_volume_container
from dockerctl.spec.mounts import parse_volume_flag

app = group("Volume containers (seed S8): share mount points through --volumes-from.")


@report_command(app, "create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the volume container."),
    volume: list[str] | None = typer.Option(
        None, "--volume", "-v", help="HOST:CTR[:ro], NAME:CTR or CTR; repeatable."
    ),
    from_dir: Path | None = typer.Option(
        None, "--from-dir", help="Data-packed: bake this directory into a locally built image under a VOLUME."
    ),
    path: str = typer.Option("/data", "--path", help="Where the baked data lives (with --from-dir)."),
    lab: GroupUnderLab = None,
    json_out: bool = False,
) -> None:
    """Create (not start) a volume container; consumers mount its volumes with `run --volumes-from NAME`.

    With --from-dir the data is packed into an image built locally FROM dockerctl/base (no pull), and
    every consumer sees it at --path: portable, for static data such as configuration.

    Examples:

      dockerctl volume-container create store -v /srv/shared:/shared -v cache:/cache

      dockerctl volume-container create site --from-dir ./public --path /usr/share/www

      dockerctl run --volumes-from site dockerctl/base -- ls /usr/share/www
    """
    mounts = [parse_volume_flag(v) for v in volume or []]
    with engine(ctx) as eng:
        container = create_volume_container(eng, name, mounts, data_dir=from_dir, data_path=path, lab=lab)
    info = {
        "name": container.name,
        "id": container.id,
        "image": container.attrs["Config"]["Image"],
        "mount_points": sorted(m["Destination"] for m in container.attrs.get("Mounts") or []),
    }
    if json_out:
        render.emit_json(info)
    else:
        render.out.print(
            f"created volume container {info['name']} ({info['image']}), not started; "
            f"mount points: {', '.join(info['mount_points'])}"
        )
