"""Namespace identities of a process (seed K2–K8): /proc/<pid>/ns/<kind> links read as 'net:[4026532201]'.

Two processes share a namespace exactly when these links are equal (the inode of the namespace).
Every read goes through the `Host` the process runs on.
"""

from __future__ import annotations

from dockerctl.hosts import Host

KINDS = ("mnt", "uts", "ipc", "pid", "net", "user", "cgroup")
NEEDS_ROOT = "unknown: needs root"  # what an id this user may not read is shown as (never "private")


def namespace_ids(host: Host, pid: int | str) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in KINDS:
        link = host.read_link(f"/proc/{pid}/ns/{kind}")
        if link is not None:  # else a kernel without this namespace kind
            out[kind] = link
    return out


def kernel_kinds(host: Host) -> tuple[str, ...]:
    """The namespace kinds this kernel has: those of the reading process itself, which any user may read."""
    return tuple(namespace_ids(host, "self"))


def unreadable_kinds(host: Host, ids: dict[str, str], kinds: tuple[str, ...] | None = None) -> list[str]:
    """The kinds this kernel has whose id was not read (another user's /proc/<pid>/ns/* gives EACCES
    without root): unknown, never to be taken as a namespace of its own."""
    return [k for k in (kernel_kinds(host) if kinds is None else kinds) if k not in ids]


def uts_hostname(host: Host, pid: int) -> str | None:
    """The hostname inside the process's UTS namespace (seed K4), read by entering only that namespace."""
    done = host.nsenter(pid, ["cat", "/proc/sys/kernel/hostname"], net=False, uts=True)
    return done.stdout.strip() if done.ok else None


def parse_uid_map(text: str) -> list[tuple[int, int, int]]:
    """/proc/<pid>/uid_map rows (inside, outside, count); '0 0 4294967295' means no remapping (seed K8)."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def uid_map(host: Host, pid: int) -> list[tuple[int, int, int]]:
    return parse_uid_map(host.read_text(f"/proc/{pid}/uid_map") or "")
