"""Host.owned_pid: the one ownership check every daemon dockerctl starts is found again by, judged on
captured /proc text (a zombie, a reused pid, a stale pid file, a missing mark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.hosts import TreeHost

# /proc/<pid>/stat of a sleeping etcd, as the kernel writes it (comm in parentheses, then the state)
STAT = "{pid} (etcd) {state} 1 {pid} {pid} 0 -1 4194560 1200 0 0 0 3 1 0 0 20 0 9 0 81234 11534336 2900\n"


def _proc(tmp: Path, pid: int, argv: list[str], state: str = "S") -> None:
    d = tmp / "proc" / str(pid)
    d.mkdir(parents=True)
    (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + (b"\0" if argv else b""))
    (d / "stat").write_text(STAT.format(pid=pid, state=state))


@pytest.fixture
def host(tmp_path: Path) -> TreeHost:
    data = "/var/lib/dockerctl-state/etcd/lab1/data"
    _proc(tmp_path, 4242, ["etcd", "--name", "dctl-lab1", "--data-dir", data])
    _proc(tmp_path, 4243, ["etcd", "--name", "dctl-lab2", "--data-dir", data.replace("lab1", "lab2")])
    _proc(tmp_path, 4244, [], state="Z")  # a zombie: its command line is empty
    _proc(tmp_path, 4245, ["/usr/sbin/sshd", "-D", "--data-dir", data])  # a reused pid, another program
    _proc(tmp_path, 4246, ["etcd", "--data-dir", data], state="Z")
    pidfile = tmp_path / "var/lib/dockerctl-state/etcd/lab1/etcd.pid"
    pidfile.parent.mkdir(parents=True)
    pidfile.write_text("4242\n")
    return TreeHost(tmp_path)


DATA = "/var/lib/dockerctl-state/etcd/lab1/data"


def test_the_process_named_by_its_pid_file_with_its_own_path_is_ours(host: TreeHost) -> None:
    assert host.owned_pid("/var/lib/dockerctl-state/etcd/lab1/etcd.pid", "etcd", DATA) == 4242
    assert host.owned_pid(4242, "etcd", DATA) == 4242


@pytest.mark.parametrize(
    ("pid", "program", "why"),
    [
        (4243, "etcd", "another lab's etcd: its command line names another data directory"),
        (4244, "etcd", "a zombie has exited"),
        (4245, "etcd", "the pid was reused by another program"),
        (4246, "etcd", "a zombie that still shows its command line"),
        (4999, "etcd", "no such process"),
        (4242, "dockerd", "the right process asked for as another program"),
        (0, "etcd", "no pid at all"),
    ],
)
def test_anything_else_is_not(host: TreeHost, pid: int, program: str, why: str) -> None:
    assert host.owned_pid(pid, program, DATA) is None, why


def test_a_pid_file_that_is_missing_or_garbled_names_nothing(host: TreeHost, tmp_path: Path) -> None:
    assert host.owned_pid("/var/lib/dockerctl-state/etcd/nope/etcd.pid", "etcd", DATA) is None
    garbled = tmp_path / "var/lib/dockerctl-state/etcd/lab1/etcd.pid"
    garbled.write_text("42x\n")
    assert host.owned_pid(str(garbled).replace(str(tmp_path), ""), "etcd", DATA) is None


def test_processes_are_started_only_through_hosts() -> None:
    """Every command and daemon runs through hosts/ (run, start_daemon, end, owned_pid): no other module
    imports subprocess, so the ownership check and the namespace prefix live in one place."""
    import ast

    root = Path(__file__).parents[2] / "dockerctl"
    importers = []
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "hosts":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            if any(n == "subprocess" or n.startswith("subprocess.") for n in names):
                importers.append(str(path.relative_to(root)))
    assert importers == []


def test_alive_is_a_process_that_exists_and_has_not_exited(host: TreeHost) -> None:
    assert host.alive(4242) and host.alive(4245)
    assert not host.alive(4244) and not host.alive(4246), "a zombie has exited"
    assert not host.alive(4999), "no such process"


def test_signal_all_waits_for_this_machines_processes_to_end() -> None:
    import signal
    import subprocess

    from dockerctl.hosts import LocalHost

    procs = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
    try:
        assert LocalHost().signal_all([p.pid for p in procs], 0, 0.3) == [p.pid for p in procs]  # only waits
        assert LocalHost().end_all([p.pid for p in procs], wait=5) == []
        assert [p.wait(timeout=5) for p in procs] == [-signal.SIGTERM, -signal.SIGTERM]
    finally:
        for p in procs:
            p.kill()
            p.wait()
