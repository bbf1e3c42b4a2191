"""dockerctl's own image for the tests that run it (built once per session with `dockerctl image build-self`)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
_built: list[str] = []


def build_self() -> str:
    """`dockerctl image build-self` as a user runs it: → the tag it printed."""
    if not _built:
        done = subprocess.run(
            [sys.executable, "-m", "dockerctl", "image", "build-self"],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        _built.append(done.stdout.strip().splitlines()[-1])
    return _built[0]
