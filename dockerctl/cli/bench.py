"""`dockerctl bench net`: every network path measured on this machine (seed X15, X14)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._args import group
from dockerctl.cli._context import engine
from dockerctl.cli.helptext import naming_models
from dockerctl.cli.output import report
from dockerctl.ops.bench import BenchReport, bench_net
from dockerctl.pictures.files import check_target
from dockerctl.pictures.pages import write_bench_page
from dockerctl.pictures.plot import check_plot_target, write_plot
from dockerctl.spec.bench import PATHS, bench_spec
from dockerctl.verify.bench import Stat

app = group("Measure: network paths (bench net).")


def _gbit(samples: list[float]) -> str:
    s = Stat.of(samples)
    return f"{s.median / 1e9:.2f} ({s.low / 1e9:.2f}–{s.high / 1e9:.2f})"


def _table(report: BenchReport) -> None:
    table = render.fold_table(
        ("path", "kind", "MTU", "→ Gbit/s", "← Gbit/s", "RTT ms", "note"),
        title=f"bench net: iperf3 TCP, {report.seconds}s × {report.repeat} run(s) per direction — "
        "Gbit/s median (min–max)",
    )
    for r in report.results:
        if r.unavailable:
            table.add_row(
                r.path, "-", "-", "-", "-", "-", f"[yellow]unavailable:[/yellow] {escape(r.unavailable)}"
            )
            continue
        rtt = Stat.of(r.rtt_ms)
        table.add_row(
            r.path,
            r.kind,
            str(r.mtu or "?"),
            _gbit(r.forward),
            _gbit(r.reverse),
            f"{rtt.median:.3f}",
            escape("; ".join(x for x in (r.asymmetry(), r.evidence) if x)),
        )
    render.out.print(table)
    render.out.print(f"machine: {escape(report.machine)}")
    if report.verdict is not None:
        render.out.print(escape(report.verdict.text))


@app.command("net")
@naming_models
@report
def net(
    ctx: typer.Context,
    paths: str | None = typer.Option(
        None, "--paths", help=f"Comma-separated, default all: {', '.join(PATHS)}."
    ),
    seconds: int = typer.Option(3, "--seconds", help="iperf3 time per run and direction (1–60)."),
    repeat: int = typer.Option(
        3, "--repeat", help="Runs per path and direction (1–20); the median is shown."
    ),
    json_out: bool = False,
    plot: Path | None = typer.Option(
        None, "--plot", help="Also draw the table: FILE.svg (or .png with matplotlib)."
    ),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained page: the plot, the verdict, every path's figures."
    ),
) -> None:
    """Measure each network path with iperf3 both ways, plus the round trip, K times (seed X15).

    Builds the labs the paths need (simulated hosts, swarm, {models} models), with Debian's
    iperf3 in a locally built image, and removes them again. Each path is labelled overlay or underlay from
    the kernel (X14); a verdict says whether underlay beats overlay across hosts here, and by how much.
    Paths whose parts this machine lacks are listed as unavailable, with why.

    Examples:

      dockerctl bench net

      dockerctl bench net --paths loopback,bridge,overlay-hosts,{a_model_path} --seconds 2 --repeat 5

      dockerctl bench net --json --plot bench.svg

      dockerctl bench net --html bench.html
    """
    spec = bench_spec(paths, seconds, repeat)  # every input error before anything is made
    if plot is not None:
        check_plot_target(plot)
    if html is not None:
        check_target(html, "--html", (".html",))
    with engine(ctx) as eng:
        status = render.status("bench net")
        with status:
            report = bench_net(eng, spec, progress=lambda msg: status.update(msg))
    if plot is not None:
        write_plot(plot, report.to_dict())
    if html is not None:
        write_bench_page(report.to_dict(), html)
    if json_out:
        render.emit_json(report.to_dict())
    else:
        _table(report)
        if plot is not None:
            render.out.print(f"plot: {escape(str(plot))}")
