"""Small helpers the command modules share (engine connection from the global options)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker
import typer

from dockerctl.apply.client import connect


def host_of(ctx: typer.Context) -> str | None:
    obj = ctx.find_root().obj
    return getattr(obj, "host", None)


def client_of(ctx: typer.Context) -> docker.DockerClient:
    return connect(host_of(ctx))


@contextmanager
def engine(ctx: typer.Context) -> Iterator[docker.DockerClient]:
    """The engine for one command, closed afterwards whatever happens."""
    client = client_of(ctx)
    try:
        yield client
    finally:
        client.close()
