"""Processes on the host by their command line (for docker-proxy, seed O2). Reads /proc only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    argv: tuple[str, ...]

    def option(self, name: str) -> str | None:
        if name in self.argv:
            i = self.argv.index(name)
            return self.argv[i + 1] if i + 1 < len(self.argv) else None
        return None


def processes(name: str, proc: Path = Path("/proc")) -> list[Proc]:
    out = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv = tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)
        if argv and Path(argv[0]).name == name:
            out.append(Proc(int(entry.name), argv))
    return sorted(out, key=lambda p: p.pid)
