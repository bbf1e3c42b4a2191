"""Reaching out and reaching in, proved by traffic (seed O1, O2).

O1: a container connects to a listener in the lab's outside namespace; the listener sees the connection
come from the host's address towards it, not from the container's: the MASQUERADE rule at work.
O2: a port published on the host answers from the host, and the process listening on it is docker-proxy.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from dockerctl.fabric.outside import outside_namespace
from dockerctl.hosts import NetnsHost
from dockerctl.hosts.listener import tcp_listener
from dockerctl.observe.processes import processes
from dockerctl.prove.twins import Twins
from dockerctl.spec.models import Limits
from dockerctl.spec.network import PortSpec
from dockerctl.verify.verdict import Check, Verdict


def prove_outbound_nat(lab: Twins, port: int = 9999, network: str | None = None) -> Check:
    container = lab.start(Limits(), ["sleep", "60"], network=network)
    container_ip = next(iter((container.attrs["NetworkSettings"]["Networks"] or {}).values()))["IPAddress"]
    with (
        outside_namespace(lab.host) as out,
        tcp_listener(NetnsHost(out.namespace).netns_path, port) as arrived,
    ):
        result = container.exec_run(
            ["sh", "-c", 'nc -w 3 "$1" "$2" </dev/null', "sh", out.outside_addr, str(port)]
        )
        peer = arrived(10)
    observed = (
        f"connection seen from {peer}" if peer else f"no connection arrived (nc exit {result.exit_code})"
    )
    ok = peer == out.host_addr
    return Check(
        f"outbound from {container_ip} to {out.outside_addr} (lab outside namespace)",
        "O1",
        f"source rewritten to the host's {out.host_addr}",
        observed,
        Verdict.ENFORCED if ok else Verdict.MISMATCH,
        f"listener in netns {out.namespace}; nc from the container",
        "" if ok else f"the container's own address is {container_ip}",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listener_pid(port: int, proc: Path = Path("/proc")) -> int | None:
    """The pid whose socket listens on 127.0.0.1/0.0.0.0:port (from /proc/net/tcp and fd links).

    This machine's /proc: `net prove` runs only against the local engine (its traffic starts here)."""
    inodes = set()
    for line in (proc / "net" / "tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[3] == "0A" and int(parts[1].split(":")[1], 16) == port:
            inodes.add(parts[9])
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = fd.readlink().name if fd.is_symlink() else ""
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(entry.name)
        except OSError:
            continue
    return None


def prove_published_port(lab: Twins) -> list[Check]:
    port = _free_port()
    spec_port = PortSpec(container_port=8080, host_ip="127.0.0.1", host_port=port)
    lab.start(Limits(), ["nc", "-ll", "-p", "8080", "-e", "echo", "dctl-published"], publish=(spec_port,))
    answer = ""
    for _ in range(20):  # the proxy listens a moment after start
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                answer = s.recv(64).decode(errors="replace").strip()
            if answer:
                break
        except OSError:
            pass
        time.sleep(0.1)
    pid = _listener_pid(port)
    proxies = {p.pid: p for p in processes(lab.host, "docker-proxy")}
    listener = (
        f"pid {pid}: {' '.join(proxies[pid].argv)}" if pid in proxies else f"pid {pid} (not docker-proxy)"
    )
    return [
        Check(
            f"127.0.0.1:{port} → container port 8080",
            "O2",
            "answers 'dctl-published'",
            repr(answer),
            Verdict.ENFORCED if answer == "dctl-published" else Verdict.MISMATCH,
            f"TCP connect to 127.0.0.1:{port}",
        ),
        Check(
            f"listener of 127.0.0.1:{port}",
            "O2",
            "docker-proxy",
            listener,
            Verdict.ENFORCED if pid in proxies else Verdict.MISMATCH,
            "/proc/net/tcp LISTEN inode → /proc/*/fd",
        ),
    ]
