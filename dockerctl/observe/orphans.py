"""What an engine lost track of, read on its host: containerd shims and cgroups of containers the engine
does not list, or lists as not running, after a crash (measured here: `kill -9` of a dockerd while it
started 24 containers left 7 shims and 5 memory cgroups of containers it then called created/exited) —
and the network sandboxes of such containers: the netns files under the engine's exec root (nsfs mounts in
the daemon's mount namespace), the host-side veths whose peer is inside one, and veth pairs the engine made
but never moved into a sandbox (the same kill left 16 netns files, 2 such veths and 1 unmoved pair, measured).
A file no longer mounted is the engine's own business while it runs: libnetwork removes such files in a
garbage collection every 60 s, the restarted engine's included (measured: the 7 a kill left, within 60 s of
its start) — only one older than the running daemon and not collected is listed.

The engine's own containerd namespace and cgroup parent are read from its daemon's settings (the dockerd
whose data root is the engine's), so the shims and cgroups of other engines on the same machine (a lab's
simulated hosts) are never counted.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from dockerctl.hosts import Host
from dockerctl.observe.cgroup import CgroupReader, Hierarchy
from dockerctl.observe.engine_process import engine_process
from dockerctl.observe.iproute import json_rows
from dockerctl.observe.mounts import parse_mountinfo

ID = re.compile(r"^[0-9a-f]{64}$")
SANDBOX = re.compile(r"^[0-9a-f]{12}$")  # libnetwork: a container's sandbox file is its sandbox id's first 12
VETH = re.compile(r"^veth[0-9a-f]{7}$")  # libnetwork names both ends of a container's pair "veth" + 7 hex


@dataclass(frozen=True)
class Shim:
    pid: int
    namespace: str
    container_id: str
    address: str  # the containerd socket it serves

    @property
    def evidence(self) -> str:
        return f"/proc/{self.pid}/cmdline: containerd-shim -namespace {self.namespace} -id {self.container_id[:12]}…"


def _arg(argv: tuple[str, ...], flag: str) -> str | None:
    for i, a in enumerate(argv[:-1]):
        if a == flag:
            return argv[i + 1]
    return None


def shim_of_argv(pid: int, argv: tuple[str, ...]) -> Shim | None:
    if not argv or "containerd-shim" not in argv[0]:
        return None
    namespace, cid = _arg(argv, "-namespace"), _arg(argv, "-id") or ""
    if namespace is None or not ID.match(cid):
        return None
    return Shim(pid, namespace, cid, _arg(argv, "-address") or "")


def all_shims(host: Host) -> list[Shim]:
    """Every containerd shim on the host, of any engine."""
    found = (shim_of_argv(pid, argv) for pid, argv in host.cmdlines().items())
    return sorted((s for s in found if s is not None), key=lambda s: s.pid)


def serves(host: Host, shim: Shim, layout: Layout) -> bool:
    """Whether `shim` is one of this engine's: its containerd namespace AND its containerd's address. A
    second engine on the host (docker-in-docker, rootless, a CI runner's) uses the same `moby` namespace and
    the same `docker/` cgroup parent; only the address its shims serve tells them apart."""
    return shim.namespace == layout.namespace and host.realpath(shim.address) == layout.containerd


def shims(host: Host, layout: Layout) -> tuple[list[Shim], set[str]]:
    """(this engine's shims, the container ids other engines' shims serve on the host)."""
    ours, theirs = [], set()
    for shim in all_shims(host):
        if serves(host, shim, layout):
            ours.append(shim)
        else:
            theirs.add(shim.container_id)
    return ours, theirs


@dataclass(frozen=True)
class Layout:
    """Where one engine keeps its containers: its containerd namespace and its cgroup path template."""

    namespace: str
    template: str  # "/docker/{id}" (cgroupfs driver) or "/system.slice/docker-{id}.scope" (systemd)
    hierarchies: tuple[Hierarchy, ...]
    exec_root: str = "/var/run/docker"  # its sandboxes' netns files are in <exec root>/netns
    daemon_pid: int = 0  # the dockerd: its mount namespace holds the netns mounts
    containerd: str = ""  # the address its shims serve (`-address`), resolved on its host
    started: float = 0.0  # when its dockerd started (seconds since the epoch; 0: unknown)

    def dirs(self, container_id: str) -> list[PurePosixPath]:
        """The container's cgroup directory in every mounted hierarchy (whether or not it exists)."""
        rel = self.template.format(id=container_id)
        out = []
        for h in self.hierarchies:
            root = h.root.rstrip("/")
            if root and not rel.startswith(root + "/"):
                continue
            out.append(h.mount_point / rel[len(root) :].lstrip("/"))
        return out

    def memory_parent(self) -> tuple[PurePosixPath, str, str] | None:
        """(the directory holding the containers' memory cgroups, name prefix, name suffix)."""
        for h in sorted(self.hierarchies, key=lambda h: h.version):  # a v1 memory hierarchy first
            if "memory" in h.controllers:
                d = replace(self, hierarchies=(h,)).dirs("{id}")
                if d:
                    prefix, _, suffix = d[0].name.partition("{id}")
                    return d[0].parent, prefix, suffix
        return None


def _flag(argv: tuple[str, ...], name: str) -> str | None:
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def daemon_settings(host: Host, data_root: str, pid: int) -> dict[str, str] | str:
    """The settings of dockerd `pid` (the engine's own, as its socket named it: `engine_process`) — its
    containerd namespace and address, cgroup parent and exec root, from its flags or its daemon.json —
    or why they are not the engine's (its data root is not `docker info`'s DockerRootDir)."""
    argv = host.cmdlines().get(pid)
    if not argv or not argv[0].endswith("dockerd"):
        return f"process {pid} is no longer a dockerd"
    config: dict[str, object] = {}
    path = _flag(argv, "--config-file") or "/etc/docker/daemon.json"
    try:
        loaded = json.loads(host.read_text(path) or "{}")
        config = loaded if isinstance(loaded, dict) else {}
    except ValueError:
        config = {}
    root = (
        _flag(argv, "--data-root") or _flag(argv, "-g") or str(config.get("data-root") or "/var/lib/docker")
    )
    if root.rstrip("/") != data_root.rstrip("/"):
        return f"dockerd {pid} keeps its data in {root}, the engine says {data_root}"
    exec_root = _flag(argv, "--exec-root") or str(config.get("exec-root") or "/var/run/docker")
    return {
        "namespace": _flag(argv, "--containerd-namespace")
        or str(config.get("containerd-namespace") or "moby"),
        "cgroup_parent": _flag(argv, "--cgroup-parent") or str(config.get("cgroup-parent") or ""),
        "exec_root": exec_root,
        # the containerd its shims serve: an external one (--containerd), or the one dockerd starts itself
        "containerd": _flag(argv, "--containerd")
        or str(config.get("containerd") or f"{exec_root.rstrip('/')}/containerd/containerd.sock"),
        "pid": str(pid),
    }


def layout_of(host: Host, url: str, data_root: str, cgroup_driver: str) -> Layout | str:
    """The engine's layout, from the settings of the dockerd that answers on its socket (read-only: needs
    no running container) — or why it could not be read (then nothing is looked for, nothing ended)."""
    process = engine_process(host, url)
    if isinstance(process, str):
        return process
    settings = daemon_settings(host, data_root, process.pid)
    if isinstance(settings, str):
        return settings
    parent = settings["cgroup_parent"]
    if cgroup_driver == "systemd":
        template = f"/{(parent or 'system.slice').strip('/')}/docker-{{id}}.scope"
    else:
        template = f"/{(parent or 'docker').strip('/')}/{{id}}"
    return Layout(
        settings["namespace"],
        template,
        tuple(CgroupReader(host).hierarchies()),
        settings["exec_root"].rstrip("/"),
        int(settings["pid"]),
        host.realpath(settings["containerd"]),
        process_started(host, process.pid) or 0.0,
    )


def cgroup_ids(host: Host, layout: Layout) -> dict[str, PurePosixPath]:
    """Container id → its memory cgroup directory, for every container cgroup the engine's parent holds."""
    found = layout.memory_parent()
    if found is None:
        return {}
    parent, prefix, suffix = found
    out = {}
    for entry in host.list_dir(str(parent)) or []:
        if entry.startswith(prefix) and entry.endswith(suffix):
            cid = entry[len(prefix) : len(entry) - len(suffix)] if suffix else entry[len(prefix) :]
            if ID.match(cid):
                out[cid] = parent / entry
    return out


def cgroup_pids(host: Host, directory: PurePosixPath) -> list[int]:
    text = host.read_text(str(directory / "cgroup.procs")) or ""
    return [int(p) for p in text.split() if p.isdigit()]


def in_cgroup_of(host: Host, pid: int, container_id: str) -> bool:
    """Process `pid` is (still) in a cgroup of this container (guards against a reused pid)."""
    return container_id in (host.read_text(f"/proc/{pid}/cgroup") or "")


@dataclass(frozen=True)
class Sandbox:
    """A container's netns file under the engine's exec root that no running container of the engine uses."""

    path: str
    mounted: bool | None  # an nsfs mount in the daemon's mount namespace (None: its mountinfo unreadable)
    veths: tuple[str, ...]  # host-side veths whose peer is inside

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


def sandbox_paths(host: Host, layout: Layout) -> list[str]:
    """Every container sandbox file under the engine's exec root (the engine's own — ingress_sbox, lb_…,
    overlay namespaces — are not containers' and never listed)."""
    d = host.realpath(f"{layout.exec_root}/netns")  # as the daemon's mountinfo names it (/var/run → /run)
    return [f"{d}/{n}" for n in sorted(host.list_dir(d) or []) if SANDBOX.match(n)]


def sandboxes(host: Host, layout: Layout, in_use: set[str]) -> list[Sandbox]:
    """The sandbox files no running container uses (`in_use`: the running containers' SandboxKeys or their
    names), each with whether the daemon still holds it mounted and the host-side veths whose peer is
    inside it.

    A file the daemon no longer holds mounted is listed only when it is older than the daemon: libnetwork
    unmounts a sandbox's file when the container stops and removes it in a garbage collection every 60 s
    (osl `gpmCleanupPeriod`), so a running engine always has a few of its own, on their way out; only
    an earlier daemon's (one killed before its collection ran) stay for good."""
    used = {PurePosixPath(k).name for k in in_use}  # a SandboxKey may name the directory another way
    paths = [p for p in sandbox_paths(host, layout) if PurePosixPath(p).name not in used]
    if not paths:
        return []
    info = host.read_text(f"/proc/{layout.daemon_pid}/mountinfo") if layout.daemon_pid else None
    nsfs = {m.mount_point for m in parse_mountinfo(info or "") if m.fstype == "nsfs"}
    by_index = {
        x.get("ifindex"): str(x.get("ifname"))
        for x in json_rows(host, [*in_daemon_net(layout), "ip", "-json", "link"])
    }
    started = process_started(host, layout.daemon_pid) if layout.daemon_pid else None
    out = []
    for path in paths:
        mounted = path in nsfs if info is not None else None
        if not mounted and not _made_before(host, path, started):
            continue  # unmounted by the running daemon, whose garbage collector removes it within 60 s
        veths: list[str] = []
        if layout.daemon_pid and path in nsfs:
            inside = json_rows(host, ["nsenter", "-t", str(layout.daemon_pid), "-m", "--",
                                   "nsenter", f"--net={path}", "ip", "-json", "link"])  # fmt: skip
            veths = sorted(
                by_index[x["link_index"]]
                for x in inside
                if "link_netnsid" in x and x.get("link_index") in by_index
            )
        out.append(Sandbox(path, mounted, tuple(veths)))
    return out


GRACE = 30.0  # seconds: a shim or cgroup younger than this (and than the engine) may be a container starting


def settled(
    host: Host, layout: Layout, found: list[Shim], groups: dict[str, PurePosixPath], now: float
) -> tuple[list[Shim], dict[str, PurePosixPath]]:
    """Only what cannot be a container on its way up: a shim started, or a cgroup made, before the engine
    started or more than GRACE seconds ago. A container being started has a fresh shim and cgroup while the
    engine still reports Pid 0 — taken for lost, it would be killed under the engine's hands."""

    def old(t: float | None) -> bool:
        return t is not None and (t < layout.started or t <= now - GRACE)

    stats = {cid: host.stat(str(d)) for cid, d in groups.items()}
    return (
        [s for s in found if old(process_started(host, s.pid))],
        {cid: d for cid, d in groups.items() if old(st.changed if (st := stats[cid]) else None)},
    )


def process_started(host: Host, pid: int) -> float | None:
    """When process `pid` started, in seconds since the epoch — never later than it did (/proc/stat's
    btime is whole seconds, rounded down)."""
    stat, boot = host.read_text(f"/proc/{pid}/stat"), host.read_text("/proc/stat")
    if not stat or not boot:
        return None
    try:
        ticks = int(stat.rpartition(")")[2].split()[19])  # field 22, starttime: ticks since boot
        btime = next(int(line.split()[1]) for line in boot.splitlines() if line.startswith("btime "))
    except (IndexError, ValueError, StopIteration):
        return None
    return btime + ticks / os.sysconf("SC_CLK_TCK")


def _made_before(host: Host, path: str, started: float | None) -> bool:
    """Whether the file was last changed before the daemon started, surely (ctime read in whole seconds
    on some hosts: a second's margin) — a daemon's deferred removals are only of files it made itself."""
    st = host.stat(path)
    return started is not None and st is not None and st.changed + 1 <= started


def in_daemon_net(layout: Layout) -> list[str]:
    """The prefix that runs a command in the daemon's network namespace (where its containers' host-side
    veths are: an engine reached by its socket may live in another namespace than this process)."""
    return ["nsenter", "-t", str(layout.daemon_pid), "-n", "--"] if layout.daemon_pid else []


def unmoved_veth_pairs(host: Host, layout: Layout) -> list[tuple[str, str]]:
    """veth pairs with both ends in the engine's network namespace, attached to no bridge, named as the
    engine names a container's pair: made for a sandbox that was never finished."""
    links = json_rows(host, [*in_daemon_net(layout), "ip", "-json", "link", "show", "type", "veth"])
    loose = {
        str(x["ifname"]): str(x.get("link") or "")
        for x in links
        if VETH.match(str(x.get("ifname"))) and "master" not in x and "link_netnsid" not in x
    }
    return sorted({(min(a, b), max(a, b)) for a, b in loose.items() if loose.get(b) == a})
