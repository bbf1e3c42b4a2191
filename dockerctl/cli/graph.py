from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.errors import ExitCode
from dockerctl.pictures.pages import check_target, write_graph
from dockerctl.pictures.scene import scene_of


def graph(
    file: Path = typer.Argument(..., help="The playbook (YAML)."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the picture here: .svg, .html (self-contained) or .dot. Default: DOT on stdout.",
    ),
) -> None:
    """Draw the topology a playbook asks for: hosts, the lab switch, networks, containers with their
    limits, volumes, services and the storage pool (laid out by Graphviz's dot).

    Needs no engine. A playbook that does not validate is still drawn: its error is printed and marked on
    the element it names, and the exit code is 2.

    Examples:

      dockerctl graph playbooks/overlay-hosts.yaml --out overlay.svg

      dockerctl graph playbooks/networks.yaml --out networks.html

      dockerctl graph playbooks/limits.yaml | dot -Tpng > limits.png
    """
    if out is not None:
        check_target(out, "--out")
    scene = scene_of(file)
    text = write_graph(scene, out)
    if text:
        typer.echo(text, nl=False)
    elif out is not None:
        render.err.print(
            f"wrote {escape(str(out))}: {len(scene.elements)} element(s) of {escape(scene.name)}",
            soft_wrap=True,
        )
    if scene.error:
        render.err.print(f"error: {escape(scene.error)} (marked in the picture)", soft_wrap=True)
        raise typer.Exit(int(ExitCode.USAGE))
