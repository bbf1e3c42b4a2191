from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.integration.conftest import base_image, engine, lab  # noqa: F401  (shared real-engine fixtures)

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli() -> Cli:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        import os

        full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "dockerctl", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=full_env,
            check=False,
        )

    return run
