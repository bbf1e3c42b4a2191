"""End what an engine lost track of (`cleanup --orphans`): the processes of an orphaned container's
cgroup, then its containerd shim — each by PID, each checked again just before: the shim's command line
must still name the engine's containerd namespace and the container id, and every process must still
be in that container's cgroup — then its empty cgroup directories; then the network sandboxes no running
container uses (unmounted in the daemon's mount namespace and removed, each re-checked just before), which
takes their veths with them, and veth pairs the engine made but never moved (still unattached a second
later). Nothing else is touched."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dockerctl.hosts import Host
from dockerctl.jsonout import Jsonable
from dockerctl.observe.orphans import (
    Layout,
    Sandbox,
    Shim,
    cgroup_pids,
    in_cgroup_of,
    in_daemon_net,
    serves,
    shim_of_argv,
    unmoved_veth_pairs,
)


@dataclass
class Ended(Jsonable):
    JSON = "container_id processes_ended=processes shim_ended=shim cgroups_removed=cgroups skipped"

    container_id: str
    processes: list[int] = field(default_factory=list)
    shim: int | None = None
    cgroups: list[str] = field(default_factory=list)
    skipped: str = ""  # why nothing was done


def _still_the_shim(host: Host, shim: Shim, layout: Layout) -> bool:
    """The pid still runs a shim of this engine (namespace and containerd address) for that container."""
    argv = tuple(a for a in (host.read_text(f"/proc/{shim.pid}/cmdline") or "").split("\0") if a)
    now = shim_of_argv(shim.pid, argv)
    return now is not None and now.container_id == shim.container_id and serves(host, now, layout)


def _failed(out: Ended, what: str) -> None:
    out.skipped = f"{out.skipped}; {what}" if out.skipped else what


def end_orphan(
    host: Host, container_id: str, shim: Shim | None, layout: Layout, still_orphan: Callable[[], bool]
) -> Ended:
    out = Ended(container_id)
    if not still_orphan():
        out.skipped = "the engine knows it as running again"
        return out
    dirs = [d for d in layout.dirs(container_id) if host.is_dir(str(d))]
    victims = sorted({p for d in dirs for p in cgroup_pids(host, d) if in_cgroup_of(host, p, container_id)})
    if victims:
        host.run(["kill", "-KILL", *map(str, victims)])
        left = host.wait_gone(victims, 10)
        out.processes = [p for p in victims if p not in left]
        if left:
            _failed(out, f"processes {left} did not end")
            return out
    if shim is not None and _still_the_shim(host, shim, layout):
        host.run(["kill", "-TERM", str(shim.pid)])
        if host.wait_gone([shim.pid], 5):
            host.run(["kill", "-KILL", str(shim.pid)])
            if host.wait_gone([shim.pid], 5):
                _failed(out, f"shim {shim.pid} did not end")
                return out
        out.shim = shim.pid
    for d in sorted(dirs, key=lambda p: -len(p.parts)):
        _remove_empty(host, d, out)
    return out


def _remove_empty(host: Host, directory: PurePosixPath, out: Ended) -> None:
    deadline = time.monotonic() + 5
    while cgroup_pids(host, directory) and time.monotonic() < deadline:
        time.sleep(0.1)
    done = host.run(["rmdir", "--", str(directory)])
    if done.ok:
        out.cgroups.append(str(directory))
    elif host.is_dir(str(directory)):
        _failed(out, f"cgroup {directory} could not be removed: {done.output.strip() or done.shown}")


@dataclass
class Removed(Jsonable):
    JSON = "kind name skipped"

    kind: str  # "netns" | "veth pair"
    name: str
    skipped: str = ""


def remove_sandbox(host: Host, layout: Layout, sandbox: Sandbox, still_unused: Callable[[], bool]) -> Removed:
    """Unmount and remove a netns file no running container uses (checked again just before)."""
    out = Removed("netns", sandbox.path)
    if not still_unused():
        out.skipped = "a running container uses it now"
        return out
    in_daemon = ["nsenter", "-t", str(layout.daemon_pid), "-m", "--"] if layout.daemon_pid else []
    if sandbox.mounted:
        done = host.run([*in_daemon, "umount", sandbox.path])
        if not done.ok:
            out.skipped = f"umount failed: {done.output or done.shown}"
            return out
    done = host.run([*in_daemon, "rm", "-f", "--", sandbox.path])
    if not done.ok:
        out.skipped = f"rm failed: {done.output or done.shown}"
    return out


def remove_unmoved_pairs(host: Host, layout: Layout, pairs: list[tuple[str, str]]) -> list[Removed]:
    """Delete the veth pairs that are still unmoved and unattached a second after they were seen."""
    if not pairs:
        return []
    time.sleep(1)
    still = set(unmoved_veth_pairs(host, layout))
    out = []
    for a, b in pairs:
        r = Removed("veth pair", f"{a}/{b}")
        if (a, b) not in still:
            r.skipped = "no longer an unattached pair"
        else:
            done = host.run([*in_daemon_net(layout), "ip", "link", "del", a])
            r.skipped = "" if done.ok else f"ip link del failed: {done.output or done.shown}"
        out.append(r)
    return out
