"""Installing dockerctl changes nothing for a pytest session that does not use it (issue 39): its plugin is
loaded (entry point pytest11) but touches no environment variable, no testcontainers setting — Ryuk stays
as the user left it — and no engine.

A session runs in a fresh process with a clean environment twice: once with the plugin blocked
(`-p no:dockerctl`, as without dockerctl installed) and once as installed. The inner test records the
environment and testcontainers' settings it sees; both runs must see the same, and DOCKER_HOST points at a
socket this test listens on, which nobody may connect to."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

INNER = """
import json, os

def test_a_suite_that_never_uses_dockerctl(pytestconfig):
    from testcontainers.core.config import testcontainers_config as c
    seen = {
        "plugin_loaded": pytestconfig.pluginmanager.has_plugin("dockerctl"),
        "env": {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "SEEN")},
        "ryuk_disabled": c.ryuk_disabled,
        "tc_settings": {k: str(getattr(c, k)) for k in ("ryuk_image", "ryuk_privileged", "tc_host_override")},
    }
    with open(os.environ["SEEN"], "w") as f:
        json.dump(seen, f)
"""


def _session(tmp_path: Path, sock: str, *extra: str) -> dict[str, object]:
    seen = tmp_path / f"seen{len(extra)}.json"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DOCKER_HOST": f"unix://{sock}",
        "SEEN": str(seen),
        "PYTHONPATH": str(Path(__file__).parents[2]),  # this checkout's dockerctl, however it is installed
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, object] = json.loads(seen.read_text())
    return result


def test_a_session_without_dockerctl_fixtures_is_as_without_dockerctl(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    sock = str(tmp_path / "engine.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock)
    listener.listen(8)
    listener.setblocking(False)
    try:
        without = _session(tmp_path, sock, "-p", "no:dockerctl")
        installed = _session(tmp_path, sock)
        try:
            conn, _ = listener.accept()
            conn.close()
            contacted = True
        except BlockingIOError:
            contacted = False
    finally:
        listener.close()
    assert installed.pop("plugin_loaded") is True and without.pop("plugin_loaded") is False
    assert "TESTCONTAINERS_RYUK_DISABLED" not in installed["env"]  # type: ignore[operator]
    assert installed["ryuk_disabled"] is False  # testcontainers' own default: Ryuk reaps
    assert installed == without
    assert not contacted, "a session that uses no dockerctl fixture contacted the engine"
