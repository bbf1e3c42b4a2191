"""The written-down help (dockerctl/help.json, answered by entry.py before the CLI's imports) is exactly
what the CLI prints now: regenerated here and compared, so a changed command without `scripts/gen-help`
fails the suite."""

from __future__ import annotations

import json
from pathlib import Path

import dockerctl
from dockerctl.cli.helptext import generate


def test_the_written_help_is_what_the_cli_prints() -> None:
    written = json.loads((Path(dockerctl.__file__).parent / "help.json").read_text())
    fresh = generate()
    stale = sorted(k for k in fresh.keys() | written.keys() if fresh.get(k) != written.get(k))
    assert not stale, f"help.json is stale for {stale}: run scripts/gen-help"
    assert "net cnm" in fresh and fresh[""].startswith("Usage: dockerctl [OPTIONS] COMMAND")
