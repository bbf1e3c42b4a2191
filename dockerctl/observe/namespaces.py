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
