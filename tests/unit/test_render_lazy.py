"""cli/render.py loads rich when something is printed for people, not before (issue 38): a --json
report never pays for it. Each check runs in a fresh interpreter, where nothing else loaded rich."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_render_loads_rich_only_when_a_person_is_printed_to() -> None:
    """JSON output loads no rich; `render.out` (first use) does, is a rich Console, made once."""
    code = (
        "import sys\n"
        "from dockerctl.cli import render\n"
        "render.emit_json({'ok': True})\n"
        "print('rich' in sys.modules)\n"
        "from rich.console import Console\n"
        "print(isinstance(render.out, Console) and render.out is render.out and render.err.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["False", "True"]
