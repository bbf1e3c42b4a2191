from __future__ import annotations

import typer

from dockerctl.cli import render
from dockerctl.cli._context import host_of
from dockerctl.errors import ExitCode
from dockerctl.observe.host import engine_facts, kernel_facts
from dockerctl.verify.doctor import assess


def doctor(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    links: bool = typer.Option(
        True, "--links/--no-links", help="Probe which link types the kernel can make."
    ),
) -> None:
    """What this host can and cannot enforce, each line with its evidence.

    Reads the engine's report, the cgroup files and the mount table, and probes link types inside a
    throwaway network namespace. Exit code 3 when no engine answers, else 0.

    Examples:

      dockerctl doctor

      dockerctl doctor --json | jq '.capabilities[] | select(.verdict != "supported")'
    """
    engine = engine_facts(host_of(ctx))
    caps = assess(engine, kernel_facts(probe_links=links))
    if json_out:
        render.emit_json({"engine_reachable": engine.reachable, "capabilities": [c.to_dict() for c in caps]})
    else:
        render.capabilities_table(caps)
        render.out.print(render.support_summary(caps))
    if not engine.reachable:
        if not json_out:
            render.err.print(f"dockerctl: error: {engine.error}", markup=False)
        raise typer.Exit(int(ExitCode.ENGINE_UNAVAILABLE))
