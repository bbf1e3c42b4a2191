"""Namespace identities of a process (seed K2–K8): /proc/<pid>/ns/<kind> links read as 'net:[4026532201]'.

Two processes share a namespace exactly when these links are equal (the inode of the namespace).
"""

from __future__ import annotations

import os
from pathlib import Path

KINDS = ("mnt", "uts", "ipc", "pid", "net", "user", "cgroup")


def namespace_ids(pid: int | str, proc: Path = Path("/proc")) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in KINDS:
        try:
            out[kind] = os.readlink(proc / str(pid) / "ns" / kind)
        except OSError:
            continue  # a kernel without this namespace kind
    return out


def uts_hostname(pid: int) -> str | None:
    """The hostname inside the process's UTS namespace (seed K4), read by entering only that namespace."""
    import subprocess

    done = subprocess.run(
        ["nsenter", f"--uts=/proc/{pid}/ns/uts", "--", "cat", "/proc/sys/kernel/hostname"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def uid_map(pid: int, proc: Path = Path("/proc")) -> list[tuple[int, int, int]]:
    """/proc/<pid>/uid_map rows (inside, outside, count); '0 0 4294967295' means no remapping (seed K8)."""
    rows = []
    for line in (proc / str(pid) / "uid_map").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows
