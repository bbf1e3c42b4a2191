"""dockerctl installed as a user installs it: a fresh virtual environment outside this checkout, with
dockerctl built from a copy of the checkout (never editable). Shared by the end-to-end tests that run
dockerctl from such an environment (the testcontainers example, the wheel install of issue 41)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
PIP = ["--disable-pip-version-check", "-q"]


def run(
    argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 900
) -> str:
    """Run argv; its stdout, or an assertion error holding both streams when it fails."""
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def source_copy(into: Path) -> Path:
    """What `pip install` of this checkout needs, copied (a build in the checkout would leave build/)."""
    src = into / "dockerctl-src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "dockerctl", src / "dockerctl", ignore=shutil.ignore_patterns("__pycache__", "*.new")
    )
    return src


def make_venv(path: Path) -> list[str]:
    """A new virtual environment (the Python that runs this suite, pip from its ensurepip: no download);
    the argv of its pip."""
    run([sys.executable, "-m", "venv", str(path)])
    return [str(path / "bin" / "python"), "-m", "pip"]


def installed(pip: list[str], env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """`pip list` of an environment, by lower-case distribution name."""
    rows = json.loads(run([*pip, "list", *PIP, "--format=json", "-v"], env=env))
    return {str(d["name"]).lower(): d for d in rows}
