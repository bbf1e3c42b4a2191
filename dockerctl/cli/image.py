from __future__ import annotations

import typer

from dockerctl.apply.images import build_base_image
from dockerctl.cli import render
from dockerctl.cli._context import engine
from dockerctl.spec.models import BASE_IMAGE

app = typer.Typer(help="The project's locally built images (nothing is ever pulled).", no_args_is_help=True)


@app.command("build-base")
def build_base(
    ctx: typer.Context,
    tag: str = typer.Option(BASE_IMAGE, "--tag", help="Tag of the image to build."),
    json_out: bool = typer.Option(False, "--json", help="Print the image id as JSON."),
) -> None:
    """Build the 2 MB base image FROM scratch with the host's static busybox (no registry needed).

    Example:

      dockerctl image build-base
    """
    with engine(ctx) as eng, render.status(f"building {tag} from /bin/busybox"):
        img = build_base_image(eng.client, tag)
    if json_out:
        render.emit_json({"tag": tag, "id": img.id})
    else:
        render.err.print(f"built {tag} ({img.short_id})")
