"""Output for people (rich tables) and for scripts (--json). No logic beyond layout.

rich is loaded when something is printed for people (`out`, `err`, a table), not before: a --json
report and a run that prints nothing to a person never pay for it (issue 38)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

import typer

from dockerctl.errors import ExitCode

if TYPE_CHECKING:  # for annotations only: loading them pulls in docker-py and pydantic (~0.15 s)
    from rich.console import Console
    from rich.table import Table

    from dockerctl.ops.crosspath import CrossPath
    from dockerctl.ops.limits import LimitsReport, ServiceLimitsReport
    from dockerctl.verify.doctor import Capability
    from dockerctl.verify.netmodels import ModelFinding
    from dockerctl.verify.verdict import Check

    out: Console  # stdout, for people (made on first use: module __getattr__ below)
    err: Console  # stderr: errors, warnings, spinners


# piped output (CI logs, `| less`) gets a wide layout instead of rich's 80-column default
def _piped_width() -> int:
    """COLUMNS if it is a number (an empty or odd value is ignored, never a crash), else 160."""
    value = os.environ.get("COLUMNS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 160


_WIDTH = None if sys.stdout.isatty() else _piped_width()

_STYLE = {  # each verdict's colour in a table
    "enforced": "green",
    "unlimited": "green",
    "supported": "green",
    "mismatch": "red",
    "not-enforced": "red",
    "not-supported": "yellow",
    "unknown": "magenta",
    "consistent": "green",
    "inconsistent": "red",
    "unverified": "magenta",
}


def _console(name: str) -> Console:
    """`out` or `err`, made once, when first used (importing rich is most of a --json run's output cost)."""
    made: Console | None = globals().get(name)
    if made is None:
        from rich.console import Console

        made = (
            Console(highlight=False, soft_wrap=False, width=_WIDTH)
            if name == "out"
            else Console(stderr=True, highlight=False)
        )
        globals()[name] = made
    return made


def _out() -> Console:
    return _console("out")


def _err() -> Console:
    return _console("err")


def __getattr__(name: str) -> Any:
    """`render.out` and `render.err` (and `from … import err`): the consoles, made on first use."""
    if name in ("out", "err"):
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def escape(text: str) -> str:
    """rich's markup escape (a cell or a message that must print as it is), loading rich when used."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class Report(Protocol):
    @property
    def ok(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


def finish(report: Report, json_out: bool, show: Callable[[], None], *, unreachable: str = "") -> None:
    """JSON for scripts or `show()` for people; exit 1 when the report does not hold — or, when the
    kernel it needed could not be read (`unreachable` says why), exit 7, as `ns` and `mounts` do."""
    if json_out:
        emit_json(report.to_dict())
    else:
        show()
    if unreachable:
        _err().print(f"dockerctl: error: {unreachable}", markup=False, soft_wrap=True)
        raise typer.Exit(int(ExitCode.KERNEL_UNREACHABLE))
    if not report.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


def fold_table(columns: Iterable[str], *, title: str | None = None, **kwargs: Any) -> Table:
    """A table as dockerctl prints them: title on the left, every column folding long cells."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", **kwargs)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def hold_summary(checks: Sequence[Any]) -> None:
    """The line under a table of checks: all hold, or how many do not."""
    bad = sum(1 for c in checks if not c.ok)
    _out().print(
        f"[green]all {len(checks)} checks hold[/green]"
        if not bad
        else f"[red]{bad} of {len(checks)} checks do not hold[/red]"
    )


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def say(json_out: bool, data: Any, text: str, *, on_err: bool = False) -> None:
    """A short report: `data` as JSON for scripts, else `text` for people (on stderr with `on_err`,
    when stdout is kept for what a script reads, e.g. a built image's tag)."""
    if json_out:
        emit_json(data)
    else:
        (_err() if on_err else _out()).print(text)


def lines(texts: Iterable[str], prefix: str, *, on_err: bool = False) -> None:
    """Each text on a line of its own after `prefix` (a report's notes, a list under a table), escaped:
    never read as markup. On stderr with `on_err`, beside the stdout a script reads."""
    console = _err() if on_err else _out()
    for text in texts:
        console.print(f"{prefix}{escape(text)}")


def remove_each(json_out: bool, names: list[str], remove: Callable[[str], str], what: str) -> None:
    """`rm NAME…`: remove each in turn (→ the name removed), saying so as each goes — or, for scripts,
    one JSON document `{"removed": […]}` at the end. The first failure stops the rest, as docker's does."""
    removed: list[str] = []
    for name in names:
        removed.append(remove(name))
        if not json_out:
            _out().print(f"removed {what}{removed[-1]}")
    if json_out:
        emit_json({"removed": removed})


_LONG_ID = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{52}\b")


def _short(text: str) -> str:
    """Container ids in paths shortened to 12 characters for people (JSON keeps them whole)."""
    return _LONG_ID.sub(r"\1…", text)


def verdict(text: str) -> str:
    """A verdict coloured for the terminal."""
    return _verdict(text)


def _verdict(text: str) -> str:
    style = _STYLE.get(text, "")
    return f"[{style}]{text}[/{style}]" if style else text


def _common_dir(evidence: list[str]) -> str | None:
    """The directory all evidence files share, to print once instead of per row. Directories that
    differ only in one component (v1: one hierarchy per controller) share it as a * pattern."""
    paths = [p for e in evidence for p in e.split(", ")]
    if not paths or not all(p.startswith("/") and " " not in p for p in paths):
        return None
    parents = {PurePosixPath(p).parent.parts for p in paths}
    if len(parents) == 1:
        return str(PurePosixPath(*parents.pop()))
    lengths = {len(p) for p in parents}
    if len(lengths) != 1:
        return None
    differing = [i for i in range(lengths.pop()) if len({p[i] for p in parents}) > 1]
    if len(differing) != 1:
        return None
    parts = list(next(iter(parents)))
    parts[differing[0]] = "*"
    return str(PurePosixPath(*parts))


def _names(evidence: str) -> str:
    return ", ".join(PurePosixPath(p).name for p in evidence.split(", "))


def checks_table(
    title: str, checks: Iterable[Check], *, engine_column: bool = False, observed: str = "kernel"
) -> None:
    checks = list(checks)
    common = _common_dir([c.evidence for c in checks])
    columns = [
        "check",
        "seed",
        "asked",
        *(["engine"] if engine_column else []),
        observed,
        "verdict",
        "evidence",
    ]
    caption = f"read from {_short(common)}/" if common else None
    table = fold_table(columns, title=title, caption=caption, caption_justify="left")
    for c in checks:
        verdict = _verdict(str(c.verdict)) + (f"\n[dim]{escape(c.note)}[/dim]" if c.note else "")
        evidence = _names(c.evidence) if common else _short(c.evidence)
        row = [
            c.subject,
            c.claim,
            c.desired,
            *([c.engine] if engine_column else []),
            c.observed,
            verdict,
            evidence,
        ]
        table.add_row(*row)
    _out().print(table)


def limits_report(report: LimitsReport) -> None:
    checks_table(
        f"{report.name}: asked vs kernel (asked from {report.source})", report.checks, engine_column=True
    )
    for warning in report.warnings:
        _err().print(f"[yellow]warning:[/yellow] {escape(warning)}")
    bad = [c.subject for c in report.checks if not c.ok]
    if bad:
        _out().print(f"[red]{len(bad)} limit(s) do not hold:[/red] {escape(', '.join(bad))}")
    else:
        _out().print(f"[green]all {len(report.checks)} limits hold[/green]")


def capabilities_table(caps: Iterable[Capability]) -> None:
    table = fold_table(("topic", "verdict", "detail", "evidence"), title="What this host can enforce")
    for c in caps:
        table.add_row(
            c.topic + (f" [dim]({c.claim})[/dim]" if c.claim else ""),
            _verdict(str(c.verdict)),
            escape(c.detail),
            escape(c.evidence),
        )
    _out().print(table)


def models_table(findings: Iterable[ModelFinding], looked_for: str) -> None:
    """doctor's network models (X11–X14): each found model, whether its entries agree, the evidence."""
    findings = list(findings)
    if not findings:
        _out().print(f"network models: none in this kernel (looked for {escape(looked_for)})")
        return
    table = fold_table(
        ("model", "verdict", "kind", "detail", "evidence"), title="Network models in this kernel (read-only)"
    )
    for m in findings:
        table.add_row(
            f"{m.model} [dim]({m.claim})[/dim]",
            _verdict(str(m.verdict)),
            m.kind,
            escape("; ".join([m.detail, *m.problems])),
            escape("\n".join(m.evidence)),
        )
    _out().print(table)


def support_summary(caps: Iterable[Capability]) -> str:
    from dockerctl.verify.doctor import Support  # here, not above: it loads docker-py

    caps = list(caps)
    no = [c.topic for c in caps if c.verdict is Support.NOT_SUPPORTED]
    unknown = [c.topic for c in caps if c.verdict is Support.UNKNOWN]
    text = f"{sum(c.verdict is Support.SUPPORTED for c in caps)} supported"
    if no:
        text += f"; not supported: {', '.join(no)}"
    if unknown:
        text += f"; unknown: {', '.join(unknown)}"
    return text


def service_limits(report: ServiceLimitsReport) -> None:
    """One row per task and limit: where it landed and what that node's kernel holds."""
    table = fold_table(
        ("task", "host", "limit", "asked", "kernel", "verdict", "evidence"),
        title=f"{report.service}: limits per task, read on the node it landed on",
    )
    for t in report.tasks:
        if not t.checks:
            table.add_row(escape(t.task), escape(t.host), "-", "-", "-", _verdict("unknown"), escape(t.note))
        for c in t.checks:
            table.add_row(
                escape(t.task), escape(t.host), escape(c.subject), escape(c.desired), escape(c.observed),
                _verdict(str(c.verdict)), escape(c.evidence),
            )  # fmt: skip
    _out().print(table)


def hops(path: CrossPath) -> None:
    """Each hop between two containers on different hosts, with the host it was read on."""
    table = fold_table(
        ("#", "host", "hop", "what the kernel says", "read with"),
        title=f"{path.source} → {path.dest} ({path.kind}), read from both kernels",
    )
    for i, h in enumerate(path.hops, 1):
        table.add_row(str(i), escape(h.host), escape(h.what), escape(h.detail), escape(h.evidence))
    _out().print(table)


class _NoStatus:
    """What a spinner is when nobody watches: nothing (pipes, CI logs)."""

    def __enter__(self) -> _NoStatus:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, message: str) -> None:
        return None


def status(message: str) -> Any:
    """A progress spinner on a terminal; nothing when stderr is piped (a spinner would only get in the
    way of the one-line error an interrupted run prints)."""
    return _err().status(message) if _err().is_terminal else _NoStatus()
