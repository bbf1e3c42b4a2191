"""Probes sent from inside a container's namespaces with this host's own tools, so they work on images
that have no shell, ping or nslookup: `nsenter --net=/proc/PID/ns/net busybox …` for names and packets,
a write through /proc/PID/root for a mount's read-only flag, a TCP connect for a published port."""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass

from dockerctl.hosts import Host

EMBEDDED_DNS = "127.0.0.11"  # the engine's resolver inside every user-defined network (seed C2)
PROBE_FILE = ".dockerctl-write-probe"


@dataclass(frozen=True)
class Probe:
    ok: bool
    command: str
    output: str


def _busybox(host: Host, pid: int, argv: list[str], timeout: float = 10) -> Probe:
    done = host.nsenter(pid, ["busybox", *argv], timeout=timeout)
    command = f"nsenter --net=/proc/{pid}/ns/net busybox {' '.join(argv)} (on {host.name})"
    return Probe(bool(done.ok), command, done.output.strip())


def parse_nslookup(text: str) -> list[str]:
    """busybox nslookup's answer → the addresses it names (the server's own line is skipped)."""
    _, _, answer = text.partition("Name:")
    return [a for a in re.findall(r"Address(?: \d+)?:\s*([0-9a-fA-F.:]+)", answer) if a != EMBEDDED_DNS]


def resolve(host: Host, pid: int, name: str) -> tuple[list[str], Probe]:
    """Ask the container's embedded DNS for `name` (A records) from inside its network namespace."""
    probe = _busybox(host, pid, ["nslookup", "-type=a", name, EMBEDDED_DNS])
    addresses = [a for a in parse_nslookup(probe.output) if "." in a] if probe.ok else []
    return addresses, probe


def ping(host: Host, pid: int, address: str) -> Probe:
    return _busybox(host, pid, ["ping", "-c", "1", "-W", "1", address])


def netns_inode(host: Host, pid: int) -> str | None:
    """'net:[4026532…]' of a process: two processes share a network namespace when these are equal."""
    return host.read_link(f"/proc/{pid}/ns/net")


def write_refused(host: Host, pid: int, target: str) -> Probe:
    """Write a file under `target` as the container sees it (through /proc/PID/root); True when refused."""
    path = f"/proc/{pid}/root{target.rstrip('/')}/{PROBE_FILE}"
    done = host.run(["sh", "-c", f"echo probe > '{path}' && rm -f '{path}'"])
    return Probe(not done.ok, f"echo probe > {path} (on {host.name})", done.output.strip())


def tcp_answers(address: str, port: int, *, timeout: float = 2.0) -> Probe:
    """Connect to a published port on this machine. A port the engine publishes is accepted by its
    proxy even when nothing in the container listens; then the proxy closes at once — that is no answer."""
    command = f"TCP connect to {address}:{port}"
    try:
        with socket.create_connection((address, port), timeout=timeout) as s:
            s.settimeout(1.0)
            try:
                data = s.recv(64)
            except TimeoutError:
                return Probe(True, command, "connected; the connection stayed open")
            except OSError as exc:
                return Probe(False, command, f"connected, then {exc}")
            if data:
                return Probe(True, command, f"connected; received {data[:32]!r}")
            return Probe(False, command, "connected, then closed at once: nothing in the container answered")
    except OSError as exc:
        return Probe(False, command, str(exc))


# a TCP connect run by the host's own python3 (inside a simulated host's namespace, through its Host):
# connected or not, and the first bytes the server sends within `timeout`
_CONNECT = """import json, socket, sys
address, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    with socket.create_connection((address, port), timeout=timeout) as s:
        s.settimeout(timeout)
        try:
            answer = s.recv(64).decode(errors="replace").strip()
        except OSError:
            answer = ""
    print(json.dumps({"connected": True, "answer": answer}))
except OSError as exc:
    print(json.dumps({"connected": False, "error": str(exc)}))
"""


def tcp_connect(host: Host, address: str, port: int, *, timeout: float = 3.0) -> tuple[bool, str, str]:
    """Connect to address:port from `host` (a published port answers on the host its engine runs on, not
    on this machine when that is a lab host). → (connected, what was seen, the command)."""
    command = f"TCP connect to {address}:{port} on {host.name}"
    done = host.run(["python3", "-c", _CONNECT, address, str(port), str(timeout)], timeout=timeout + 10)
    try:
        got = json.loads(done.stdout)
    except ValueError:
        return False, f"the probe did not run: {done.output.strip()[:120]}", command
    if got.get("connected"):
        return True, f"connected; answered {got.get('answer', '')!r}", command
    return False, f"no connection: {got.get('error', '')}", command
