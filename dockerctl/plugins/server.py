"""Serve a PluginApp on a unix socket, one thread per connection (the engine keeps connections open).

Who is calling comes from the socket itself (SO_PEERCRED → the engine's pid → its network namespace):
every engine on this machine finds the same /run/docker/plugins, so one plugin process serves them all
and tells them apart by that namespace.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import struct
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from dockerctl.plugins.protocol import CONTENT_TYPE, Caller, PluginApp


def peer_of(sock: socket.socket) -> Caller:
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid = struct.unpack("3i", creds)[0]
    except OSError:
        return Caller(0, 0)
    try:
        netns = os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        netns = 0
    return Caller(pid, netns)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        caller = peer_of(self.request)
        status, answer = self.server.app.handle(self.path, raw, caller)
        self._send(status, answer, caller)

    def do_GET(self) -> None:
        self._send(405, {"Err": "plugin calls are POST /<Interface>.<Method>"}, peer_of(self.request))

    def _send(self, status: int, answer: dict[str, Any], caller: Caller) -> None:
        import json

        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        # who called: an engine's pid and network namespace (a lab host's: `stat -L -c %i
        # /var/run/netns/HOST`), so an engine's restart and what it replays can be read back
        self.server.log(f"{self.command} {self.path} -> {status} (pid {caller.pid}, netns {caller.netns})")

    def log_message(self, format: str, *args: Any) -> None:
        return  # one line per call is written by _send

    def address_string(self) -> str:
        return "engine"


SOCKET_UMASK = 0o177  # the socket is made 0600: only root (the engine) connects, from its first moment


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, app: PluginApp, log: Any) -> None:
        self.app = app
        self.log = log
        super().__init__(path, _Handler)

    def server_bind(self) -> None:
        """bind(2) makes the socket file with the process's umask: under 0o177 it is 0600 as it appears,
        so no other user can connect in the moment before a chmod (there is none to make). The umask is
        the process's own and is restored at once."""
        previous = os.umask(SOCKET_UMASK)
        try:
            super().server_bind()
        finally:
            os.umask(previous)


def serve(path: Path, app: PluginApp, *, log: Any = None) -> None:
    """Listen on `path` until SIGTERM/SIGINT; the socket is removed on the way out."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a stale socket of an earlier run of this plugin (the caller checked it is ours)
    server = _Server(str(path), app, log or (lambda _m: None))  # 0600 from bind on
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
