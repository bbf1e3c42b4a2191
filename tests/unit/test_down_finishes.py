"""`down` finishes every step when one fails: data the pool could not remove no longer leaves the lab's
network models and hosts running; the first error is raised once everything else is down."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest

from dockerctl.engines.engine import Engine
from dockerctl.fabric import labhosts
from dockerctl.fabric.gluster import Leftovers
from dockerctl.hosts import LocalHost
from dockerctl.ops import lifecycle
from dockerctl.ops import pool as lab_pool


def test_a_pool_that_keeps_data_does_not_keep_the_hosts_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    model_daemon, host_daemon = tmp_path / "model.pid", tmp_path / "host.pid"
    model_daemon.write_text("1")
    host_daemon.write_text("2")

    def pool_down(lab: str, *, keep_data: bool) -> list[str]:
        raise Leftovers("the pool's data", ["/var/lib/x/brick: Operation not permitted"])

    def hosts_down(lab: str) -> list[str]:
        host_daemon.unlink()
        return ["h1"]

    model = SimpleNamespace(down=lambda lab: model_daemon.unlink())
    monkeypatch.setattr(lab_pool, "pool_down", pool_down)  # lab_down imports it when it runs
    monkeypatch.setattr(labhosts, "hosts_down", hosts_down)
    monkeypatch.setattr(lifecycle, "models", lambda: {"m": model})
    local = Engine("local", mock.MagicMock(), LocalHost(), "unix:///nonexistent.sock")

    with pytest.raises(Leftovers, match="brick: Operation not permitted"):
        lifecycle.lab_down(local, {}, "lab1", [])
    assert not model_daemon.exists() and not host_daemon.exists()
