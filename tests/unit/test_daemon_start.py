"""`LocalHost.start_daemon`, the one way dockerctl starts a daemon, and the identity-checked signals
that end one: real processes on this machine (sleep, sh, env, python), nothing of the engine's."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerctl.errors import EngineError, EngineUnavailable, StateUnwritable
from dockerctl.hosts import LocalHost
from dockerctl.hosts.base import ProcessId
from dockerctl.hosts.local import Daemon
from tests.procfs import becomes_sleep, stat_fields, zombie_children


@pytest.fixture
def started() -> Iterator[list[Daemon]]:
    """Daemons a test starts: each ended here (by its identity) if the test left it running."""
    daemons: list[Daemon] = []
    yield daemons
    for d in daemons:
        d.end(wait=2)


def test_a_daemon_is_not_the_callers_child_and_runs_in_a_session_of_its_own(
    tmp_path: Path, started: list[Daemon]
) -> None:
    d = LocalHost().start_daemon(["sleep", "30"], log=tmp_path / "logs" / "sleep.log")
    started.append(d)
    fields = stat_fields(d.pid)
    assert fields is not None and fields[0] != "Z"
    assert int(fields[1]) != os.getpid(), "its parent is not the caller: it can never be our zombie"
    assert os.getsid(d.pid) == d.pid
    assert Path(f"/proc/{d.pid}/cmdline").read_bytes() == b"sleep\x0030\x00", "the pid is the daemon's"
    assert os.readlink(f"/proc/{d.pid}/fd/0") == os.devnull
    assert {os.readlink(f"/proc/{d.pid}/fd/{n}") for n in (1, 2)} == {str(tmp_path / "logs" / "sleep.log")}
    assert sorted(os.listdir(f"/proc/{d.pid}/fd")) == ["0", "1", "2"], "no descriptor of the caller's"
    ignored = next(
        line for line in Path(f"/proc/{d.pid}/status").read_text().splitlines() if line.startswith("SigIgn:")
    )
    assert int(ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1)) == 0, "SIGPIPE kills it, as by default"
    assert d.running() and d.end(wait=5) and not d.running()
    assert d.pid not in zombie_children()


def test_a_daemon_that_dies_at_start_is_seen_at_once_with_its_log_and_leaves_no_zombie(
    tmp_path: Path,
) -> None:
    log = tmp_path / "d.log"
    log.write_text("an earlier run\n")
    t0 = time.monotonic()
    d = LocalHost().start_daemon(["sh", "-c", 'echo "bad config: $0" >&2; exit 3', "x.conf"], log=log)
    assert not d.until(lambda: False, 20), "never ready"
    assert time.monotonic() - t0 < 5, "its end is seen at once, not after the whole wait"
    assert log.read_text() == "an earlier run\nbad config: x.conf\n", "appended to, never truncated"
    assert d.pid not in zombie_children()


def test_argv_reaches_exec_as_it_is_never_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    odd = f"$(touch {marker}); `touch {marker}` > {marker} 'a b'"
    d = LocalHost().start_daemon(["printf", "%s\n", odd], log=tmp_path / "out.log")
    assert d.wait(5)
    assert (tmp_path / "out.log").read_text() == odd + "\n"
    assert not marker.exists()


def test_the_log_is_never_written_through_a_symlink(tmp_path: Path) -> None:
    target, link, marker = tmp_path / "target", tmp_path / "d.log", tmp_path / "ran"
    target.write_text("not dockerctl's\n")
    link.symlink_to(target)
    with pytest.raises(StateUnwritable, match=r"the log .*d\.log cannot be opened .*not started"):
        LocalHost().start_daemon(["touch", str(marker)], log=link)
    time.sleep(0.3)
    assert target.read_text() == "not dockerctl's\n" and not marker.exists(), "nothing written, nothing run"


def test_a_log_that_is_no_regular_file_is_refused_at_once_and_nothing_runs(tmp_path: Path) -> None:
    fifo, marker = tmp_path / "d.log", tmp_path / "ran"
    os.mkfifo(fifo)  # opened for writing as it was, a FIFO with no reader blocked the start for ever
    began = time.monotonic()
    with pytest.raises(
        StateUnwritable, match=r"the log .*d\.log is not a regular file: touch was not started"
    ):
        LocalHost().start_daemon(["touch", str(marker)], log=fifo)
    assert time.monotonic() - began < 5
    time.sleep(0.3)
    assert not marker.exists(), "nothing ran"


def test_a_start_cut_short_leaves_no_daemon_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or any signal) while the starter runs: the daemon it started is ended, never left running
    with no record naming it. The interruption is injected where dockerctl waits for the starter; the
    starter, the daemon and the ending are real."""
    tag = f"30.{uuid.uuid4().int % 10**9:09d}"  # sleep's own argument: it stays in its command line
    real_wait = subprocess.Popen.wait
    cut = []

    def interrupted(self: subprocess.Popen[bytes], timeout: float | None = None) -> int:
        if not cut:
            cut.append(self.pid)
            real_wait(self, timeout=5)  # the starter has spawned the daemon and said its pid
            raise KeyboardInterrupt
        return real_wait(self, timeout=timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        LocalHost().start_daemon(["sleep", tag], log=tmp_path / "d.log")
    monkeypatch.undo()
    assert cut, "the interruption was injected"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running_with(tag):
        time.sleep(0.05)
    assert not _running_with(tag), "the daemon of a start cut short still runs"


def _running_with(word: str) -> list[int]:
    """Live processes whose command line holds `word` (zombies are gone)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes() if entry.isdigit() else b""
        except OSError:
            continue
        fields = stat_fields(int(entry)) if word.encode() in cmdline else None
        if fields and fields[0] != "Z":
            found.append(int(entry))
    return found


def test_a_program_that_cannot_be_executed_is_one_clear_error_also_in_its_log(tmp_path: Path) -> None:
    with pytest.raises(
        EngineUnavailable,
        match=r"^dctl-no-such-program --flag could not be started: No such file or directory$",
    ):
        LocalHost().start_daemon(["dctl-no-such-program", "--flag"], log=tmp_path / "d.log")
    assert "dctl-no-such-program: No such file or directory" in (tmp_path / "d.log").read_text()


class _PrefixedHost(LocalHost):
    """A host whose commands run behind a prefix that execs them (as NetnsHost's nsenter does)."""

    def prefix(self) -> list[str]:
        return ["env", "DCTL_PREFIXED=yes"]


def test_the_hosts_prefix_runs_the_daemon_and_the_pid_is_the_daemons(
    tmp_path: Path, started: list[Daemon]
) -> None:
    d = _PrefixedHost().start_daemon(["sleep", "30"], log=None)
    started.append(d)
    assert becomes_sleep(d.pid), "the pid is the daemon's: the prefix execs it"
    assert b"DCTL_PREFIXED=yes" in Path(f"/proc/{d.pid}/environ").read_bytes().split(b"\0")


def test_a_signal_reaches_only_the_process_that_was_seen() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        local = LocalHost()
        seen = local.identity(proc.pid)
        assert seen is not None and local.running(seen)
        other = ProcessId(proc.pid, seen.started + 1)  # the same pid, another process's start time
        assert not local.send_signal(other, signal.SIGTERM)
        assert local.end_processes([other], wait=0.3, kill=0.3) == [] and proc.poll() is None
        assert local.end(proc.pid, lambda: None, wait=0.3) and proc.poll() is None, "not ours: left"
        assert local.end(proc.pid, lambda: proc.pid, wait=5)
        assert proc.wait(timeout=5) == -signal.SIGTERM
        assert local.identity(proc.pid) is None and not local.send_signal(seen, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("errno_", [errno.ENOSYS, errno.EPERM], ids=["no-pidfd-kernel", "seccomp"])
def test_without_pidfds_a_signal_still_reaches_only_the_process_seen(
    monkeypatch: pytest.MonkeyPatch, errno_: int
) -> None:
    """A kernel before 5.3 or a seccomp filter refuses pidfd_open (injected here): the identity is
    checked just before a plain kill, never a traceback."""

    def refused(pid: int, flags: int = 0) -> int:
        raise OSError(errno_, os.strerror(errno_))

    proc = subprocess.Popen(["sleep", "30"])
    try:
        monkeypatch.setattr(os, "pidfd_open", refused)
        local = LocalHost()
        seen = local.identity(proc.pid)
        assert seen is not None
        assert not local.send_signal(ProcessId(proc.pid, seen.started + 1), signal.SIGTERM)
        assert proc.poll() is None, "another process's start time: left alone"
        assert local.send_signal(seen, signal.SIGTERM)
        assert proc.wait(timeout=5) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()


def test_a_plugin_that_dies_at_start_is_reported_with_its_log_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plugin serve` for a lab with no pool exits at once: `_start` says so with the log's tail (not
    after its whole wait), its record is gone, and the test run holds no zombie of it (f370fd4: a
    Popen child nobody waited for)."""
    from dockerctl.plugins import daemon

    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[2]))
    monkeypatch.setattr(daemon, "PLUGIN_DIR", tmp_path / "plugins")
    (tmp_path / "plugins").mkdir()
    driver, lab = f"dctl-test-{uuid.uuid4().hex[:8]}", f"nolab-{uuid.uuid4().hex[:6]}"
    before = set(zombie_children())
    t0 = time.monotonic()
    with pytest.raises(
        EngineError, match=rf"the plugin {driver} did not start: .*lab {lab} has no storage pool"
    ):
        daemon._start(driver, lab, "gluster-volume", wait=60)
    assert time.monotonic() - t0 < 30
    assert daemon.load(driver) is None
    assert set(zombie_children()) <= before
