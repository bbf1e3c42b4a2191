"""What several commands declare alike, declared once so that each reads the same in every --help:
command groups, arguments and options (the --lab ones, with their name check, are in _context)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

RunningContainer = Annotated[str, typer.Argument(help="Container name or id (running).", show_default=False)]
PlaybookFile = Annotated[Path, typer.Argument(help="The playbook (YAML).", show_default=False)]
JunitFile = Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report here.")]
# `down` and `hosts down`: a lab's volume data goes only when asked for, as with `docker compose down -v`
RemoveVolumes = Annotated[
    bool,
    typer.Option(
        "--volumes",
        "-v",
        help="Also remove the lab's volumes and its storage pool's volumes, with their data (kept by "
        "default, as with `docker compose down`).",
    ),
]


def any_owner_option(what: str) -> Any:
    """`--any-owner` of a command over `what` ("networks"), which by default touches only what dockerctl
    made (its label): the one spelling of "also other owners'" (issue 41)."""
    return typer.Option(False, "--any-owner", help=f"Also {what} dockerctl did not make.")


def group(help_text: str) -> typer.Typer:
    """A command group (`dockerctl net`): given without a subcommand, it shows its help."""
    return typer.Typer(help=help_text, no_args_is_help=True)
