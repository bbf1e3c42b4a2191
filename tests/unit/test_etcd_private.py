"""Finding 7 of issue 36: a lab's etcd listens where only root reaches it (seed X11).

etcd runs without authentication and root programs its leases into the labs' kernels. It listened on
loopback TCP ports (any local user could connect) and took its recorded ports again after a restart (any
local user could take them first). Now: unix sockets only, in `<state>/run/etcd/<lab>` (root's, 0700,
checked), and the client reaches only a socket root serves."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerctl.errors import EngineUnavailable, StateUnwritable
from dockerctl.fabric import etcd
from dockerctl.hosts.state import runtime_dir

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="another user's files and processes need root")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "state"
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(d))
    return d


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_etcd_listens_on_unix_sockets_in_roots_private_directory_only(state: Path) -> None:
    lab = etcd.Etcd("lab1")
    run = lab.run_dir()
    argv = etcd.argv(lab, run)
    assert argv[:4] == ["env", "-C", str(run), "--"] and argv[4] == "etcd"  # it binds relative to `run`
    urls = [_flag(argv, f) for f in ("--listen-client-urls", "--advertise-client-urls", "--listen-peer-urls",
                                     "--initial-advertise-peer-urls")]  # fmt: skip
    assert urls == ["unix://client.sock:0"] * 2 + ["unix://peer.sock:0"] * 2
    assert _flag(argv, "--initial-cluster") == "dctl-lab1=unix://peer.sock:0"
    assert not any("http" in a or "127.0.0.1" in a or "localhost" in a for a in argv), argv
    assert run == state / "run" / "etcd" / "lab1" and (run.stat().st_mode & 0o777) == 0o700


def test_a_record_never_steers_the_client(state: Path) -> None:
    """The record says where etcd listened (for people); the client goes only to root's socket."""
    lab = etcd.Etcd("lab1")
    with pytest.raises(EngineUnavailable, match="has no etcd"):
        lab.client()
    lab.dir.mkdir(parents=True)
    for recorded in ('{"client": 2379, "peer": 2380}', '{"client": "unix:///tmp/theirs.sock"}'):
        lab.record.write_text(recorded)
        client = lab.client()
        assert client.socket_path == state / "run" / "etcd" / "lab1" / "client.sock:0"
        assert client.url == f"unix://{client.socket_path}" == lab.url


@needs_root
def test_a_squatted_socket_directory_is_refused(state: Path) -> None:
    lab = etcd.Etcd("lab1")
    squatted = runtime_dir("etcd") / "lab1"
    squatted.mkdir(mode=0o777)
    os.chown(squatted, NOBODY, NOBODY)
    lab.dir.mkdir(parents=True)
    lab.record.write_text("{}")
    with pytest.raises(StateUnwritable, match="belongs to uid 65534"):
        lab.client()
    if shutil.which("etcd"):
        with pytest.raises(StateUnwritable, match="belongs to uid 65534"):
            etcd.start(lab)
        assert lab.pid() is None and not (squatted / etcd.CLIENT_SOCKET).exists()


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"health":"true"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def server_bind(self) -> None:  # bound through its directory's descriptor: the path is too long
        dirfd = os.open(Path(self.server_address).parent, os.O_PATH | os.O_DIRECTORY)
        try:
            self.socket.bind(f"/proc/self/fd/{dirfd}/{Path(self.server_address).name}")
        finally:
            os.close(dirfd)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Path]:
    """An etcd-like /health on a unix socket whose path is longer than sun_path."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path = deep / etcd.CLIENT_SOCKET
    assert len(os.fsencode(path)) > etcd.SUN_PATH_MAX
    server = _UnixHTTPServer(str(path), _Health)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


def test_a_socket_path_longer_than_sun_path_is_reached(served: Path) -> None:
    assert etcd.EtcdClient(served).healthy()


@needs_root
def test_the_client_refuses_a_socket_another_user_serves() -> None:
    theirs = Path(tempfile.mkdtemp(prefix="dctl-test-theirs-"))  # where nobody can reach (pytest's is 0700)
    os.chown(theirs, NOBODY, NOBODY)
    path = theirs / etcd.CLIENT_SOCKET
    code = (
        "import socket, sys, time\n"
        "s = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\n"
        "while True:\n    c, _ = s.accept()\n"
        '    c.sendall(b\'HTTP/1.1 200 OK\\r\\nContent-Length: 17\\r\\n\\r\\n{"health":"true"}\')\n    c.close()\n'
    )
    proc = subprocess.Popen(
        ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups", "--",
         "/usr/bin/python3", "-c", code, str(path)],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX) as probe:  # it does serve: a plain connect gets through
            probe.connect(str(path))
        client = etcd.EtcdClient(path, timeout=2)
        assert not client.healthy()
        with pytest.raises(EngineUnavailable, match=r"does not answer .*is served by uid 65534"):
            client.get("/coreos.com/network/config")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(theirs)
