"""Small helpers the command modules share: the engine from the global options, lab-name checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from dockerctl.engines.engine import Engine, connect_engine
from dockerctl.fabric.lab_engine import as_lab_host
from dockerctl.spec.names import check_lab_name


def host_of(ctx: typer.Context) -> str | None:
    obj = ctx.find_root().obj
    return getattr(obj, "host", None)


@contextmanager
def engine(ctx: typer.Context) -> Iterator[Engine]:
    """The engine for one command (and the host its kernel is read on), closed afterwards."""
    eng = as_lab_host(connect_engine(host_of(ctx)))
    try:
        yield eng
    finally:
        eng.close()


def lab_name(value: str | None) -> str | None:
    """typer callback for every --lab: an empty or odd name is refused before anything is touched."""
    return None if value is None else check_lab_name(value)


# options several commands share, declared once
LabOfFile = Annotated[str | None, typer.Option("--lab", callback=lab_name, help="Or the lab's name.")]
GroupUnderLab = Annotated[
    str | None, typer.Option("--lab", callback=lab_name, help="Group it under a lab name.")
]
# a lab host by name (`dockerctl hosts ls`); the root's -H/--host URL is the engine, not this
LabHost = Annotated[
    str | None,
    typer.Option(
        "--lab-host",
        metavar="NAME",
        help="A lab host (see `dockerctl hosts ls`): its engine, read on its own kernel.",
    ),
]
PurgeGuestImage = Annotated[
    bool,
    typer.Option("--purge", help="Also remove the cached VM guest image (built again on the next VM boot)."),
]
