"""The one way dockerctl starts a daemon, on real daemons: a lab's etcd (no engine needed) is not a
child of the command that started it — a long-lived caller such as this test run never holds it, nor its
zombie when it dies — and `stop` ends it; one that cannot start is said at once with its log's tail; a
`NetnsHost`'s daemon runs in that namespace. Everything here is made by the test, in a state directory
and a network namespace of its own, and removed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerctl.errors import EngineUnavailable
from dockerctl.fabric import etcd
from dockerctl.hosts import LocalHost, NetnsHost
from tests.procfs import becomes_sleep, zombie_children

from .kernel import wait_gone

pytestmark = pytest.mark.skipif(shutil.which("etcd") is None, reason="etcd is not installed")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


@pytest.fixture
def lab_etcd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[etcd.Etcd]:
    tmp_path.chmod(0o700)
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    e = etcd.Etcd(f"dstart-{uuid.uuid4().hex[:6]}")
    yield e
    etcd.stop(e)


def test_a_labs_etcd_is_not_the_callers_child_and_leaves_no_zombie(lab_etcd: etcd.Etcd) -> None:
    etcd.start(lab_etcd)
    pid = lab_etcd.pid()
    assert pid is not None
    assert _parent(pid) != os.getpid(), "started by the one way: never a child of the caller"
    os.kill(pid, signal.SIGKILL)  # it crashes (the test's own etcd, found by its pid file and data dir)
    wait_gone(pid)
    assert lab_etcd.pid() is None and pid not in zombie_children()
    etcd.start(lab_etcd)  # brought back; `stop` ends it
    again = lab_etcd.pid()
    assert again is not None and again != pid and lab_etcd.client().healthy()
    assert etcd.stop(lab_etcd) and lab_etcd.pid() is None
    wait_gone(again)
    assert again not in zombie_children()


def test_an_etcd_that_dies_at_start_is_said_at_once_with_its_log(lab_etcd: etcd.Etcd) -> None:
    lab_etcd.dir.mkdir(parents=True)
    (lab_etcd.dir / "data").write_text("not a directory\n")  # etcd refuses a data dir that is a file
    t0 = time.monotonic()
    with pytest.raises(
        EngineUnavailable,
        match=rf"(?s)lab {lab_etcd.lab}'s etcd did not answer within 20s: .*error listing data dir",
    ):
        etcd.start(lab_etcd, wait=20)
    assert time.monotonic() - t0 < 10, "its death is seen, not waited out"


def test_a_netns_hosts_daemon_runs_in_that_namespace() -> None:
    name = f"dctl-dstart-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        daemon = NetnsHost(name).start_daemon(["sleep", "30"], log=None)
        try:
            assert becomes_sleep(daemon.pid), "the pid is the daemon's: the prefix execs it"
            assert os.stat(f"/proc/{daemon.pid}/ns/net").st_ino == os.stat(f"/var/run/netns/{name}").st_ino
            assert _parent(daemon.pid) != os.getpid()
        finally:
            assert daemon.end(wait=5)
        assert LocalHost().identity(daemon.pid) != daemon.process
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)
