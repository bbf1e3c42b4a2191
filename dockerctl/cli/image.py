from __future__ import annotations

import typer

from dockerctl.apply.images import build_base_image
from dockerctl.cli import render
from dockerctl.cli._args import group
from dockerctl.cli._context import engine
from dockerctl.cli.output import report_command
from dockerctl.spec.models import BASE_IMAGE

app = group("The project's locally built images (nothing is ever pulled).")


@report_command(app, "build-base")
def build_base(
    ctx: typer.Context,
    tag: str = typer.Option(BASE_IMAGE, "--tag", help="Tag of the image to build."),
    json_out: bool = False,
) -> None:
    """Build the 2 MB base image FROM scratch with the host's static busybox (no registry needed).

    Example:

      dockerctl image build-base
    """
    with engine(ctx) as eng, render.status(f"building {tag} from /bin/busybox"):
        img = build_base_image(eng.client, tag)
    render.say(json_out, {"tag": tag, "id": img.id}, f"built {tag} ({img.short_id})", on_err=True)


@report_command(app, "build-self")
def build_self(
    ctx: typer.Context,
    tag: str = typer.Option("", "--tag", help="Tag of the image (default: dockerctl:<version>)."),
    json_out: bool = False,
) -> None:
    """Build dockerctl's own image FROM scratch: this machine's Python, dockerctl from its wheel (no registry).

    Prints the tag it made. Its entry point is dockerctl, so the image runs any command:

    Examples:

      dockerctl image build-self

      docker run --rm --pid host -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /var/run/docker.sock:/var/run/docker.sock:ro dockerctl:0.2.0 audit
    """
    from dockerctl.apply.selfimage import build_self_image, self_tag

    made = tag or self_tag()
    with engine(ctx) as eng, render.status(f"building {made} from this machine's Python and a wheel"):
        img = build_self_image(eng.client, made)
    size = int(img.attrs.get("Size", 0))
    if json_out:
        render.emit_json({"tag": made, "id": img.id, "size_bytes": size})
    else:
        render.err.print(f"built {made} ({img.short_id}, {size / 1e6:.0f} MB)")
        render.out.print(made, markup=False, highlight=False)
