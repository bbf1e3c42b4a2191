"""Output for people (rich tables) and for scripts (--json). No logic beyond layout."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from rich.console import Console
from rich.table import Table

from dockerctl.verify.checks import Check
from dockerctl.verify.doctor import Capability, Support

# piped output (CI logs, `| less`) gets a wide layout instead of rich's 80-column default
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
out = Console(highlight=False, soft_wrap=False, width=_WIDTH)
err = Console(stderr=True, highlight=False)

_STYLE = {
    "enforced": "green",
    "unlimited": "green",
    "supported": "green",
    "mismatch": "red",
    "not-enforced": "red",
    "not-supported": "yellow",
    "unknown": "magenta",
}


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def _verdict(text: str) -> str:
    style = _STYLE.get(text, "")
    return f"[{style}]{text}[/{style}]" if style else text


def _common_dir(paths: list[str]) -> str | None:
    """The directory all evidence files share (a container's cgroup), to print once instead of per row."""
    parents = {str(PurePosixPath(p).parent) for p in paths}
    if len(parents) == 1 and all(p.startswith("/") and " " not in p for p in paths):
        return parents.pop()
    return None


def checks_table(title: str, checks: Iterable[Check]) -> None:
    checks = list(checks)
    common = _common_dir([c.evidence for c in checks])
    table = Table(
        title=title,
        title_justify="left",
        caption=f"read from {common}/" if common else None,
        caption_justify="left",
    )
    for col in ("check", "seed", "asked", "kernel", "verdict", "evidence"):
        table.add_column(col, overflow="fold")
    for c in checks:
        verdict = _verdict(str(c.verdict)) + (f"\n[dim]{c.note}[/dim]" if c.note else "")
        evidence = PurePosixPath(c.evidence).name if common else c.evidence
        table.add_row(c.subject, c.claim, c.desired, c.observed, verdict, evidence)
    out.print(table)


def capabilities_table(caps: Iterable[Capability]) -> None:
    table = Table(title="What this host can enforce", title_justify="left")
    for col in ("topic", "verdict", "detail", "evidence"):
        table.add_column(col, overflow="fold")
    for c in caps:
        table.add_row(
            c.topic + (f" [dim]({c.claim})[/dim]" if c.claim else ""),
            _verdict(str(c.verdict)),
            c.detail,
            c.evidence,
        )
    out.print(table)


def support_summary(caps: Iterable[Capability]) -> str:
    caps = list(caps)
    no = [c.topic for c in caps if c.verdict is Support.NOT_SUPPORTED]
    unknown = [c.topic for c in caps if c.verdict is Support.UNKNOWN]
    text = f"{sum(c.verdict is Support.SUPPORTED for c in caps)} supported"
    if no:
        text += f"; not supported: {', '.join(no)}"
    if unknown:
        text += f"; unknown: {', '.join(unknown)}"
    return text
