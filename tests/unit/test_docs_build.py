"""The docs site builds in strict mode (mkdocs.yml: broken links and anchors, pages missing from the nav
are warnings, and strict makes each one fail), here as in CI, so the unit suite catches a broken page.
The same build is shown failing on a copy of the docs with a broken anchor and with a page left out of
the nav, so a passing build means something."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess  # nosec B404 - runs mkdocs from this venv with a fixed argument list
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason="mkdocs is not installed (it is in the dev extras: pip install -e '.[dev]')",
)


def _build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # nosec B603 - fixed arguments, no shell
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(root / "mkdocs.yml"),
            "--site-dir",
            str(site),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", root / "docs")
    return root


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    result = _build(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    built = {p.relative_to(tmp_path / "site").parts[0] for p in (tmp_path / "site").rglob("index.html")}
    pages = {p.stem for p in (ROOT / "docs").glob("*.md") if p.stem != "index"}
    assert pages <= built, f"pages not built: {sorted(pages - built)}"


def test_a_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    with (root / "docs" / "labs.md").open("a") as page:
        page.write("\nSee [a claim that is not there](glossary.md#r99).\n")
    result = _build(root, tmp_path / "site")
    assert result.returncode != 0
    assert "r99" in result.stderr


def test_a_page_missing_from_the_nav_fails_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "docs" / "orphan.md").write_text("# Orphan\n\nNo nav line names this page.\n")
    result = _build(root, tmp_path / "site")
    assert result.returncode != 0
    assert "orphan.md" in result.stderr


def test_a_link_to_a_file_outside_the_docs_fails_the_build(tmp_path: Path) -> None:
    """A playbook or source file is not part of the site: such a link must be written as code instead."""
    root = _copy(tmp_path)
    with (root / "docs" / "labs.md").open("a") as page:
        page.write("\nThe [limits playbook](../playbooks/limits.yaml).\n")
    result = _build(root, tmp_path / "site")
    assert result.returncode != 0
    assert "playbooks/limits.yaml" in result.stderr
