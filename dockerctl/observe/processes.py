"""Processes on a host by their command line (for docker-proxy, seed O2). Reads /proc there only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from dockerctl.hosts import Host


@dataclass(frozen=True)
class Proc:
    pid: int
    argv: tuple[str, ...]

    def option(self, name: str) -> str | None:
        if name in self.argv:
            i = self.argv.index(name)
            return self.argv[i + 1] if i + 1 < len(self.argv) else None
        return None


def processes(host: Host, name: str) -> list[Proc]:
    return sorted(
        (
            Proc(pid, argv)
            for pid, argv in host.cmdlines().items()
            if argv and PurePosixPath(argv[0]).name == name
        ),
        key=lambda p: p.pid,
    )
