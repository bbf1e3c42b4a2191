from __future__ import annotations

import typer

from dockerctl.cli import render
from dockerctl.cli._context import client_of
from dockerctl.errors import ExitCode, InvalidInput
from dockerctl.spec.fields import flag_of
from dockerctl.spec.models import ContainerSpec, MemoryLimits
from dockerctl.spec.units import parse_size, parse_swap
from dockerctl.workflows import run_container


def build_spec(
    image: str,
    command: list[str],
    name: str | None,
    memory: str | None,
    memory_swap: str | None,
    lab: str | None,
) -> ContainerSpec:
    """Flags → a validated spec; every error names the flag it comes from."""
    try:
        limits = MemoryLimits(
            memory=parse_size(memory, field="memory") if memory is not None else None,
            memory_swap=parse_swap(memory_swap, field="memory_swap") if memory_swap is not None else None,
        )
        return ContainerSpec(image=image, command=command, name=name, limits=limits, lab=lab)
    except InvalidInput as exc:
        exc.where = exc.where or flag_of(exc.field)
        raise


def run(
    ctx: typer.Context,
    image: str = typer.Argument(..., help="A locally present image (never pulled), e.g. dockerctl/base."),
    command: list[str] | None = typer.Argument(
        None, help="Command and arguments (after `--` if they have dashes)."
    ),
    name: str | None = typer.Option(None, "--name", help="Container name."),
    memory: str | None = typer.Option(None, "--memory", "-m", help="Memory limit, e.g. 100M, 2g (seed R1)."),
    memory_swap: str | None = typer.Option(
        None, "--memory-swap", help="Memory+swap limit; -1 unlimited; unset = 2 × --memory (seed R2, R3)."
    ),
    lab: str | None = typer.Option(None, "--lab", help="Group the container under a lab name (for cleanup)."),
    verify: bool = typer.Option(False, "--verify", help="Read the limits back from the container's cgroup."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create and start a labelled container, like `docker run -d`, and optionally prove its limits.

    With --verify the container's cgroup is found through /proc/<pid>/cgroup and the kernel's values
    are compared with what was asked; exit code 1 when any limit is not what was asked.

    Examples:

      dockerctl run --name web -m 100M --verify dockerctl/base

      dockerctl run --name db -m 1g --memory-swap 1g --verify --json dockerctl/base -- sleep 3600
    """
    spec = build_spec(image, command or [], name, memory, memory_swap, lab)
    client = client_of(ctx)
    try:
        result = run_container(client, spec, verify=verify)
    finally:
        client.close()
    if json_out:
        render.emit_json(result.to_dict())
    else:
        render.out.print(f"started {result.name} ({result.container_id[:12]}) from {result.image}")
        if verify:
            render.checks_table(f"{result.name}: asked vs kernel", result.checks)
    if verify and not result.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))
