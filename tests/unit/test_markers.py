"""Markers select what they say: `-m unit` / `-m "not engine"` collect no test that needs an engine, and
`-m engine` collects every integration and e2e test (they are marked by path in tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def _collected(marker: str) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            marker,
            "-p",
            "no:cacheprovider",
            "tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_not_engine_selects_only_unit_tests() -> None:
    ids = _collected("not engine")
    assert ids and all(i.startswith("tests/unit/") for i in ids)
    assert _collected("unit") == ids


def test_engine_selects_every_integration_and_e2e_test() -> None:
    ids = _collected("engine")
    assert any(i.startswith("tests/integration/") for i in ids)
    assert any(i.startswith("tests/e2e/") for i in ids)
    assert not any(i.startswith("tests/unit/") for i in ids)
    assert sorted(_collected("integration or e2e or faults")) == sorted(ids)
