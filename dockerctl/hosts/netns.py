"""A simulated host: a network namespace on this machine (`/var/run/netns/NAME`).

It shares this machine's kernel, filesystem and process table, so files are read as here; commands run
inside its network namespace, entered with nsenter (never `ip netns exec`, which re-mounts /sys).
"""

from __future__ import annotations

from collections.abc import Sequence

from dockerctl.hosts.base import Completed
from dockerctl.hosts.local import LocalHost, run_local
from dockerctl.hosts.paths import NETNS_DIR


class NetnsHost(LocalHost):
    kind = "netns"
    local_network = False  # a namespace of its own: reach it from inside (observe/netns_probe.py)

    def __init__(self, namespace: str, name: str | None = None) -> None:
        super().__init__(name or f"netns:{namespace}")
        self.namespace = namespace

    @property
    def netns_path(self) -> str:
        return f"{NETNS_DIR}/{self.namespace}"

    def prefix(self) -> list[str]:
        return ["nsenter", f"--net={self.netns_path}", "--"]

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        return run_local([*self.prefix(), *argv], timeout=timeout, stdin=stdin)

    def nsenter(
        self, pid: int, argv: Sequence[str], *, net: bool = True, uts: bool = False, timeout: float = 10
    ) -> Completed:
        # a process's namespaces are reached from this machine directly: no need to pass through ours
        return LocalHost.nsenter(self, pid, argv, net=net, uts=uts, timeout=timeout)

    def local_run(self, argv: Sequence[str], *, timeout: float = 10) -> Completed:
        return run_local(argv, timeout=timeout)
