"""`rm NAME…` of a group whose objects dockerctl labels (`net rm`, `vol rm`): one command, declared once,
so both remove, refuse and report alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import typer

from dockerctl.cli import render
from dockerctl.cli._args import any_owner_option
from dockerctl.cli._context import engine
from dockerctl.cli.output import report_command

if TYPE_CHECKING:
    import docker


class Remover(Protocol):
    def __call__(self, client: docker.DockerClient, name: str, *, any_owner: bool = False) -> None: ...


def add_rm(app: typer.Typer, what: str, remove: Remover, help_text: str) -> None:
    """Register `rm NAME… [--any-owner]` on `app`: each `what` ("network") removed in turn by `remove`
    (which refuses one dockerctl did not make without --any-owner), said as it goes or as one JSON
    document; the first failure stops the rest."""

    def rm(
        ctx: typer.Context,
        names: list[str] = typer.Argument(..., help=f"{what.capitalize()} names."),
        any_owner: bool = any_owner_option(f"{what}s"),
        json_out: bool = False,
    ) -> None:
        with engine(ctx) as eng:

            def one(name: str) -> str:
                remove(eng.client, name, any_owner=any_owner)
                return name

            render.remove_each(json_out, names, one, f"{what} ")

    rm.__doc__ = help_text
    report_command(app, "rm")(rm)
