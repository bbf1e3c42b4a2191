from __future__ import annotations

from enum import StrEnum

import typer

from dockerctl.cli import limit_flags as lf
from dockerctl.cli import render
from dockerctl.cli._context import engine
from dockerctl.cli.output import report
from dockerctl.errors import InvalidInput
from dockerctl.ops.proofs import prove as run_proof
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.models import Limits


class Kind(StrEnum):
    memory = "memory"
    cpu = "cpu"
    io = "io"


def _shares(text: str) -> tuple[int, int]:
    a, sep, b = text.partition(":")
    if not sep or not a.isdigit() or not b.isdigit() or int(a) < 2 or int(b) < 2:
        raise InvalidInput(
            f"expected two CPU shares A:B (each ≥ 2), e.g. 1024:512, got {text!r}", where="--shares"
        )
    return int(a), int(b)


@report
def prove(
    ctx: typer.Context,
    kind: Kind = typer.Argument(..., help="memory, cpu or io."),
    container: str | None = typer.Argument(None, help="Take the limits of this container (proved on twins)."),
    memory: lf.Memory = None,
    memory_swap: lf.MemorySwap = None,
    blkio_weight: lf.BlkioWeight = None,
    device_read_bps: lf.DeviceReadBps = None,
    device_write_bps: lf.DeviceWriteBps = None,
    device_read_iops: lf.DeviceReadIops = None,
    device_write_iops: lf.DeviceWriteIops = None,
    shares: str = typer.Option("1024:512", "--shares", help="cpu: the two containers' CPU shares A:B."),
    seconds: float = typer.Option(4.0, "--seconds", help="cpu: how long to measure."),
    tolerance: float | None = typer.Option(
        None, "--tolerance", help="Allowed relative deviation (cpu ratio default 0.25, io rate default 0.10)."
    ),
    json_out: bool = False,
) -> None:
    """Prove a limit by behaviour, with measured numbers (seed R1–R7).

    memory: a process under the limit survives, one over it is OOM-killed; with --memory-swap equal
    to -m there is no swap. cpu: two busy containers pinned to CPU 0 with shares A:B get CPU time in
    about that ratio. io: direct writes/reads to a volume on the throttled disk run at no more than
    the limit (an unthrottled run shows the disk is faster). A limit this kernel cannot enforce (a
    block-IO weight here) is reported as such, never as passed. Proofs run in throwaway labelled
    containers — twins of CONTAINER when one is named — that are removed afterwards. Exit 1 unless
    every measurement holds.

    Examples:

      dockerctl prove memory -m 32M --memory-swap 32M

      dockerctl prove cpu --shares 1024:512 --seconds 4

      dockerctl prove io --device-write-bps /dev/vda:10mb --device-read-iops /dev/vda:200

      dockerctl prove io web --json
    """
    flags = limit_fields(ctx.params)
    pair = _shares(shares)
    if tolerance is not None and not 0 < tolerance < 1:
        raise InvalidInput(f"tolerance must be between 0 and 1, got {tolerance}", where="--tolerance")
    limits = Limits(**flags) if flags else None
    with engine(ctx) as eng, render.status(f"proving {kind.value} by behaviour"):
        report = run_proof(
            eng,
            kind.value,
            container=container,
            limits=limits,
            shares=pair,
            seconds=seconds,
            tolerance=tolerance,
        )

    def show() -> None:
        render.checks_table(
            f"prove {report.kind}: limits from {report.subject}", report.checks, observed="measured"
        )
        verdict = "[green]proved[/green]" if report.ok else "[red]not proved[/red]"
        render.out.print(f"{verdict}: {sum(c.ok for c in report.checks)} of {len(report.checks)} hold")

    render.finish(report, json_out, show)
