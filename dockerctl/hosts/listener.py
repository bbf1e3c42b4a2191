"""A one-shot TCP listener inside a network namespace on this machine: which source address a
connection arrives from, as the receiving side sees it (after any NAT on the way)."""

from __future__ import annotations

import contextlib
import subprocess  # nosec B404  # argv lists only, never a shell
import sys
from collections.abc import Callable, Iterator

LISTENER = (
    "import socket,sys\n"
    "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(1); s.settimeout(20)\n"
    "print('ready', flush=True)\n"
    "c, a = s.accept(); print('peer', a[0], flush=True); c.close()\n"
)


@contextlib.contextmanager
def tcp_listener(netns: str, port: int) -> Iterator[Callable[[float], str | None]]:
    """Listen on `port` in the network namespace `netns` (a path: /proc/PID/ns/net, /var/run/netns/N);
    ready when entered. → a function that waits up to its timeout for one connection and gives the
    peer's address (None: none arrived). The listener ends when the block does."""
    proc = subprocess.Popen(  # nosec B603 B607  # a fixed argv; nsenter from root's PATH as every host tool
        ["nsenter", f"--net={netns}", "--", sys.executable, "-c", LISTENER, str(port)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip

    def peer(timeout: float) -> str | None:
        try:
            seen = proc.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            seen = ""
        return next((line.split()[1] for line in seen.splitlines() if line.startswith("peer ")), None)

    try:
        if proc.stdout is not None:
            proc.stdout.readline()  # ready
        yield peer
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
