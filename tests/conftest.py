from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"

# This project's own configuration, not the plugin's (issue 39): testcontainers' Ryuk reaper would pull
# its image, and no registry is reachable here; every test removes what it made instead (by label or
# name). scripts/test exports the same; this covers a bare `pytest`. A user's setting wins.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


# Markers by path: `pytestmark` in a conftest.py is ignored by pytest, so every test is marked here from
# the directory it lives in. `-m unit` (or `-m "not engine"`) selects exactly the tests that need no engine.
MARKS_BY_DIR = {
    "unit": ("unit",),
    "integration": ("integration", "engine"),
    "e2e": ("e2e", "engine"),
    "faults": ("faults", "engine"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
        for mark in MARKS_BY_DIR.get(parts[0], ()) if len(parts) > 1 else ():
            item.add_marker(mark)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
