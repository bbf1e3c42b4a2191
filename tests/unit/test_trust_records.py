"""Records that do not parse, and the plugin's socket (issue 36, finding 9): a corrupt record is a clear
error naming its file, never taken for "no record" — `down` still ends the plugin process it named,
found by its command line — and the plugin socket is 0600 from the moment bind(2) makes it."""

from __future__ import annotations

import os
import socketserver
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockerctl.errors import DockerctlError


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "state"
    d.mkdir()
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(d))
    yield d


@pytest.fixture
def fake_plugin(state: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """A process whose command line is a plugin's (`… plugin serve --lab LAB --driver DRIVER`), started
    with this state directory; ended here if the test did not end it."""
    lab, driver = f"lab-{uuid.uuid4().hex[:8]}", f"dctl-test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(120)",
            "plugin",
            "serve",
            "--lab",
            lab,
            "--driver",
            driver,
        ],
        env={**os.environ, "DOCKERCTL_STATE_DIR": str(state)},
    )
    try:
        yield proc, lab, driver
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _corrupt_record(state: Path, driver: str) -> Path:
    path = state / "plugins" / f"{driver}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'{{"driver": "{driver}", "lab": ')  # cut short
    return path


def test_down_ends_a_plugin_whose_record_does_not_parse(
    state: Path, fake_plugin: tuple[subprocess.Popen[bytes], str, str]
) -> None:
    from dockerctl.plugins import daemon

    proc, lab, driver = fake_plugin
    record = _corrupt_record(state, driver)
    found = daemon.load(driver)  # the record's lab and process, from the process itself
    assert found is not None and (found.lab, found.pid) == (lab, proc.pid)
    assert daemon.stop_lab(f"{lab}-other") == []  # another lab's down leaves it running
    assert proc.poll() is None
    assert daemon.stop_lab(lab) == [driver]  # how `down` stops a lab's plugins
    assert proc.wait(timeout=15) is not None  # ended
    assert not record.exists()


def test_a_corrupt_record_with_no_process_is_a_clear_error_and_down_removes_it(state: Path) -> None:
    from dockerctl.plugins import daemon

    driver = f"dctl-test-{uuid.uuid4().hex[:8]}"
    record = _corrupt_record(state, driver)
    with pytest.raises(DockerctlError) as caught:
        daemon.load(driver)
    assert f"the record {record} cannot be read" in str(caught.value) and "\n" not in str(caught.value)
    assert daemon.stop_lab("any-lab") == [driver]
    assert not record.exists() and daemon.load(driver) is None


def test_a_corrupt_pool_record_still_names_the_pool_and_is_refused_by_start(state: Path) -> None:
    from dockerctl.fabric import gluster

    root = state / "gluster" / "lab-p"
    bricks = root / "h1" / "work" / "vols" / "v1" / "bricks"
    bricks.mkdir(parents=True)
    (bricks / "198.18.0.10:-srv-b-h1-v1-brick").write_text("hostname=198.18.0.10\npath=/srv/b/h1/v1/brick\n")
    (root / "pool.json").write_text("")  # empty: a write that never finished
    pool = gluster.load("lab-p")
    assert pool is not None and pool.damaged == "empty"
    assert [h.name for h in pool.hosts] == ["h1"] and pool.brick_dir == "/srv/b"
    assert pool.roots() == (f"{root}/", "/srv/b/")  # what `stop` ends and unmounts by
    with pytest.raises(DockerctlError, match=r"pool\.json cannot be read"):
        gluster.start(pool)


def test_the_plugin_socket_is_0600_from_the_moment_it_is_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockerctl.plugins import server
    from dockerctl.plugins.protocol import PluginApp

    seen: dict[str, int] = {}
    bind = socketserver.UnixStreamServer.server_bind

    def watched(self: Any) -> None:
        seen["umask"] = os.umask(0o022)
        os.umask(seen["umask"])
        bind(self)
        seen["mode"] = stat.S_IMODE(os.stat(self.server_address).st_mode)  # before anyone could chmod it

    monkeypatch.setattr(socketserver.UnixStreamServer, "server_bind", watched)
    monkeypatch.setattr(server._Server, "serve_forever", lambda self, poll_interval=0.5: None)
    before = os.umask(0o022)  # what a shell gives: 0755 sockets unless the plugin says otherwise
    try:
        server.serve(tmp_path / "p.sock", PluginApp([]))
        assert os.umask(0o022) == 0o022  # restored after bind
    finally:
        os.umask(before)
    assert seen["umask"] == 0o177
    assert seen["mode"] & 0o077 == 0, oct(seen["mode"])
