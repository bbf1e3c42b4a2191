from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._args import PlaybookFile
from dockerctl.cli._context import engine
from dockerctl.errors import ExitCode
from dockerctl.pictures.files import check_target
from dockerctl.pictures.live import live_scene
from dockerctl.pictures.pages import write_graph
from dockerctl.pictures.scene import scene_of


def graph(
    ctx: typer.Context,
    file: PlaybookFile,
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the picture here: .svg, .html (self-contained) or .dot. Default: DOT on stdout.",
    ),
    live: bool = typer.Option(
        False,
        "--live",
        help="Draw the lab as its hosts show it now (it must be up: play --keep), marked against the playbook.",
    ),
) -> None:
    """Draw the topology a playbook asks for: hosts, the lab switch, networks, containers with their
    limits, volumes, services and the storage pool (laid out by Graphviz's dot).

    Needs no engine. A playbook that does not validate is still drawn: its error is printed and marked on
    the element it names, and the exit code is 2.

    With --live, the lab that is up (`play --keep`) as its hosts' engines list it and its containers'
    kernels show it: each attachment labelled with the addresses read inside the container's network
    namespace, each element green as asked, red where it differs (≠ says how) or is missing, amber where
    it is not in the playbook or its host did not answer. Exit 1 when something differs.

    Examples:

      dockerctl graph playbooks/overlay-hosts.yaml --out overlay.svg

      dockerctl graph playbooks/networks.yaml --out networks.html

      dockerctl graph playbooks/limits.yaml | dot -Tpng > limits.png

      dockerctl graph playbooks/networks.yaml --live --out now.html
    """
    if out is not None:
        check_target(out, "--out")
    states: dict[str, str] | None = None
    if live:
        with engine(ctx) as eng:
            scene, states = live_scene(eng, file)
    else:
        scene = scene_of(file)
    text = write_graph(scene, out, states)
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
    differs = sorted(e for e, state in (states or {}).items() if state == "fails")
    if differs:
        render.err.print(f"differs from the playbook: {escape(', '.join(differs))}", soft_wrap=True)
        raise typer.Exit(int(ExitCode.CHECK_FAILED))
