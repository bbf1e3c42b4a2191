"""Small helpers the command modules share (engine connection from the global options)."""

from __future__ import annotations

import docker
import typer

from dockerctl.apply.client import connect


def host_of(ctx: typer.Context) -> str | None:
    obj = ctx.find_root().obj
    return getattr(obj, "host", None)


def client_of(ctx: typer.Context) -> docker.DockerClient:
    return connect(host_of(ctx))
