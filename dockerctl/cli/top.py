"""`top` (limits biting, live) and `exporter` (the same figures for Prometheus)."""

from __future__ import annotations

import contextlib
import select
import sys
import time
from collections.abc import Iterator
from typing import Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from dockerctl.cli import render
from dockerctl.cli._context import LabHost, engine, lab_name
from dockerctl.cli.output import report
from dockerctl.engines.engine import Engine
from dockerctl.engines.signals import Interrupted
from dockerctl.errors import EngineUnavailable, InvalidInput
from dockerctl.ops.exporter import DEFAULT_LISTEN, parse_listen, serve
from dockerctl.ops.top import Row, Selection, rows, sample, top_once


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value / 2**20:.1f}M"


def _io(devices: list[dict[str, Any]]) -> str:
    """Read and write rates of the busiest devices, each with the throttle the kernel holds for it."""
    parts = []
    for d in sorted(devices, key=lambda x: -((x["read_bps"] or 0) + (x["write_bps"] or 0)))[:2]:
        for tag, key in (("r", "read"), ("w", "write")):
            rate, limit = d[f"{key}_bps"], d[f"{key}_limit_bps"]
            if rate or limit:
                shown = "-" if rate is None else f"{rate / 2**20:.1f}M/s"
                parts.append(f"{tag} {shown}" + (f" ≤ {limit / 2**20:g}M" if limit else ""))
    return ", ".join(parts) or "-"


def _table(found: list[Row], trouble: str = "") -> Table:
    title = f"dockerctl top — {time.strftime('%H:%M:%S')} (q quits)"
    if trouble:
        title += f"\n[bold red]{escape(trouble)}[/bold red] — the figures below are the last read"
    table = render.fold_table(
        (
            "container",
            "memory",
            "%",
            "swap",
            "hits",
            "OOM",
            "CPU %",
            "throttled %",
            "IO (≤ throttle)",
            "pids",
            "limits",
            "PSI some avg10",
        ),
        title=title,
    )
    for r in found:

        def mark(key: str, text: str, row: Row = r) -> str:
            return f"[bold yellow]{escape(text)}[/bold yellow]" if key in row.changed else escape(text)

        if r.error:
            table.add_row(escape(r.name), f"[dim]{escape(r.error)}[/dim]", *["-"] * 10)
            continue
        limit = "∞" if r.memory_limit is None else _size(r.memory_limit)
        pct = "-" if r.memory_percent is None else f"{r.memory_percent:.0f}"
        cpu = "-" if r.cpu_percent is None else f"{r.cpu_percent:.0f}"
        if r.cpu_quota:
            cpu += f" / {100 * r.cpu_quota:.0f}"
        bad = {k: v for k, v in r.verdicts.items() if v not in ("enforced", "unlimited")}
        limits = (
            "[green]all held[/green]"
            if not bad
            else "[red]" + escape(", ".join(f"{k}: {v}" for k, v in bad.items())) + "[/red]"
        )
        psi = ", ".join(f"{k} {v['some']['avg10']:.1f}" for k, v in r.psi.items() if "some" in v) or "-"
        table.add_row(
            escape(r.name),
            mark("memory_usage_bytes", f"{_size(r.memory_usage)} / {limit}"),
            mark("memory_percent", pct),
            mark("swap_usage_bytes", _size(r.swap_usage)),
            mark("limit_hits", str(r.limit_hits if r.limit_hits is not None else "-")),
            mark("oom_kills", str(r.oom_kills if r.oom_kills is not None else "-")),
            mark("cpu_percent", cpu),
            mark("throttled_percent", "-" if r.throttled_percent is None else f"{r.throttled_percent:.0f}"),
            mark("io", _io(r.io)),
            mark("pids", f"{r.pids if r.pids is not None else '-'} / {r.pids_max or '∞'}"),
            limits,
            psi,
        )
    return table


@contextlib.contextmanager
def _keys() -> Iterator[bool]:
    """The terminal in cbreak mode while `top` runs (so `q` needs no Enter); True when keys can be read."""
    if not sys.stdin.isatty():
        yield False
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _quit_pressed(wait: float, keys: bool) -> bool:
    if not keys:
        time.sleep(wait)
        return False
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sys.stdin], [], [], left)
        if ready and sys.stdin.read(1) in ("q", "Q"):
            return True
    return False


def _live(eng: Engine, selection: Selection, interval: float) -> None:
    """Refresh until q or Ctrl-C. An engine that stops answering keeps the last figures on the screen
    under a line saying since when; the rows come back when it answers again."""
    previous = sample(eng, selection)
    shown: dict[str, Row] = {}
    lost: str | None = None  # since when the engine has not answered
    with _keys() as keys, Live(_table([]), console=render.out, auto_refresh=False, screen=False) as live:
        try:
            while not _quit_pressed(interval, keys):
                try:
                    now = sample(eng, selection)
                except EngineUnavailable as exc:
                    lost = lost or time.strftime("%H:%M:%S")
                    live.update(_table(list(shown.values()), f"engine not answering since {lost}: {exc.message}"),
                                refresh=True)  # fmt: skip
                    continue
                if lost:
                    previous, lost = now, None  # rates start again from this read
                found = rows(previous, now, shown)
                shown = {r.name: r for r in found}
                previous = now
                live.update(_table(found), refresh=True)
        except Interrupted:  # Ctrl-C quits top, as q does
            return


@report
def top(
    ctx: typer.Context,
    containers: list[str] = typer.Argument(
        None, help="Containers (names or ids); default: every running one."
    ),
    lab: str | None = typer.Option(
        None, "--lab", callback=lab_name, help="Only this dockerctl lab's containers."
    ),
    project: str | None = typer.Option(
        None, "-p", "--project-name", help="Only this compose project's containers."
    ),
    interval: float = typer.Option(2.0, "--interval", help="Seconds between refreshes (0.1–60)."),
    once: bool = typer.Option(False, "--once", help="Read twice, --interval apart, print once and exit."),
    json_out: bool = False,
    host: LabHost = None,
) -> None:
    """Limits biting, live: per container memory against its limit, swap, limit hits and OOM kills since
    start, CPU used against its quota and the share of CFS periods throttled in the last interval, pids
    against pids.max, and the verdict of each limit (held or not) — read from the kernel at each refresh.
    Pressure stall figures where the kernel has them (cgroup v2). Changed figures are highlighted;
    q or Ctrl-C quits. The live view is for people, not a report: --once reads twice and prints one
    report (--format table|json).

    Examples:

      dockerctl top

      dockerctl top -p shop --interval 1

      dockerctl top --once --lab-host svh1

      dockerctl top --once --json | jq '.[] | select(.oom_kills > 0) | .name'
    """
    if json_out and not once:
        raise InvalidInput(
            "--format json is only used with --once (a live view is for people, not a report)",
            where="--format/--json",
        )
    selection = Selection(tuple(containers or ()), lab, project)
    with _engines(ctx, [host] if host else []) as engines:
        eng = engines[0]
        if once:
            found = top_once(eng, selection, interval)
            if json_out:
                render.emit_json([r.to_dict() for r in found])
            else:
                render.out.print(_table(found))
            return
        if not 0.1 <= interval <= 60:
            raise InvalidInput(
                f"--interval must be between 0.1 and 60 seconds, got {interval:g}", where="--interval"
            )
        _live(eng, selection, interval)


def exporter(
    ctx: typer.Context,
    listen: str = typer.Option(DEFAULT_LISTEN, "--listen", help="ADDRESS:PORT to serve /metrics on."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --listen address."),
    hosts: list[str] = typer.Option(
        [],
        "--lab-host",
        metavar="NAME",
        help="A lab host to read (repeatable; see `dockerctl hosts ls`); default: the engine of -H.",
    ),
    node: str = typer.Option(
        "", "--node", help="The `node` label of every series (default: the host name the engine reports)."
    ),
    on_network: str = typer.Option(
        "",
        "--on-network",
        help="Listen only on this container's address in the engine network NAME (a swarm overlay), port of "
        "--listen; for the exporter as a swarm service.",
    ),
    proc_root: str = typer.Option(
        "",
        "--proc-root",
        help="Where the host's /proc is mounted (a swarm service cannot share the host's PID namespace: "
        "mount -v /proc:/host/proc:ro and pass /host/proc).",
    ),
) -> None:
    """A Prometheus exporter: every scrape reads each running container's cgroup files fresh.

    cAdvisor's names where the figure is the same (container_spec_memory_limit_bytes,
    container_cpu_cfs_throttled_periods_total, …), and what nobody exports: dockerctl_limit_asked,
    dockerctl_limit_kernel and dockerctl_limit_holds (1/0) per container and limit, and
    dockerctl_oom_kills_total from the kernel's own counter (it survives an exporter restart). Labels name
    the compose project and service, the swarm service and the dockerctl lab. Listens on loopback unless
    --allow-remote. Runs until Ctrl-C. A server, not a report: it has no --format (the scrape is the
    Prometheus text format).

    Examples:

      dockerctl exporter

      dockerctl exporter --listen 127.0.0.1:9500

      dockerctl exporter --lab-host mvh1 --lab-host mvh2

      curl -s 127.0.0.1:9417/metrics | grep dockerctl_limit_holds

      dockerctl exporter --on-network dockerctl-metrics --proc-root /host/proc   # as a swarm service
    """
    address, port = parse_listen(listen, allow_remote=allow_remote or bool(on_network))
    with _engines(ctx, list(hosts)) as engines:
        if proc_root:
            from pathlib import Path

            from dockerctl.ops.hostproc import HostProcHost

            if not Path(proc_root, "1", "cgroup").exists():
                raise InvalidInput(
                    f"{proc_root} is not a procfs (no {proc_root}/1/cgroup)", where="--proc-root"
                )
            for e in engines:
                e.host = HostProcHost(Path(proc_root), e.host.name)
        if on_network:
            from dockerctl.ops.exporter import address_on_network

            address = address_on_network(engines[0], on_network)
        names = ", ".join(e.name for e in engines)
        render.err.print(f"serving http://{address}:{port}/metrics for {names} (Ctrl-C stops)", markup=False)
        serve(engines, address, port, node_name=node or None)


@contextlib.contextmanager
def _engines(ctx: typer.Context, hosts: list[str]) -> Iterator[list[Engine]]:
    """The lab hosts named (each its engine and kernel), or the engine of -H / DOCKER_HOST."""
    if not hosts:
        with engine(ctx) as eng:
            yield [eng]
        return
    from dockerctl.fabric import labhosts

    with labhosts.engines_of(hosts) as opened:
        yield opened
