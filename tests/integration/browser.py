"""Pages read as a browser shows them: Debian's Chromium, headless, as root without its sandbox, no
network, a fresh profile per page; the DOM is dumped after the page's own script ran."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def page_dom(page: Path, tmp_path: Path, fragment: str = "") -> str:
    """The page's DOM once loaded (its inline script has run), as Chromium dumps it."""
    exe = shutil.which("chromium")
    assert exe, "Chromium is not installed: scripts/setup installs it"
    profile = tmp_path / f"profile-{uuid.uuid4().hex[:6]}"
    done = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.resolve().as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def svg_node(dom: str, element: str) -> tuple[str, str, str]:
    """(its classes, its shape's fill, its text) of a picture's element, as the browser holds the SVG."""
    m = re.search(rf'<g id="{re.escape(element)}" class="([^"]*)">(.*?)</g>', dom, re.S)
    assert m, f"{element} is not in the picture"
    fill = re.search(r'<(?:polygon|ellipse|path)[^>]*fill="([^"]+)"', m.group(2))
    text = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", m.group(2)))
    return m.group(1), fill.group(1) if fill else "", text
