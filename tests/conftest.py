from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"


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
