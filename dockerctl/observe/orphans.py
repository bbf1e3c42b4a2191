"""What an engine lost track of, read on its host: containerd shims and cgroups of containers the engine
does not list, or lists as not running, after a crash (measured here: `kill -9` of a dockerd while it
started 24 containers left 7 shims and 5 memory cgroups of containers it then called created/exited).

The engine's own containerd namespace and cgroup parent are read from its daemon's settings (the dockerd
whose data root is the engine's), so the shims and cgroups of other engines on the same machine (a lab's
simulated hosts) are never counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from dockerctl.hosts import Host
from dockerctl.observe.cgroup import CgroupReader, Hierarchy

ID = re.compile(r"^[0-9a-f]{64}$")


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


def shims(host: Host, namespace: str) -> list[Shim]:
    out = []
    for pid, argv in host.cmdlines().items():
        shim = shim_of_argv(pid, argv)
        if shim is not None and shim.namespace == namespace:
            out.append(shim)
    return sorted(out, key=lambda s: s.pid)


@dataclass(frozen=True)
class Layout:
    """Where one engine keeps its containers: its containerd namespace and its cgroup path template."""

    namespace: str
    template: str  # "/docker/{id}" (cgroupfs driver) or "/system.slice/docker-{id}.scope" (systemd)
    hierarchies: tuple[Hierarchy, ...]

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
                d = Layout(self.namespace, self.template, (h,)).dirs("{id}")
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


def daemon_settings(host: Host, data_root: str) -> dict[str, str] | None:
    """The dockerd on `host` whose data root is `data_root` (`docker info`'s DockerRootDir): its
    containerd namespace, cgroup parent and exec root, from its flags or /etc/docker/daemon.json."""
    import json

    for _, argv in host.cmdlines().items():
        if not argv or not argv[0].endswith("dockerd"):
            continue
        config: dict[str, object] = {}
        path = _flag(argv, "--config-file") or "/etc/docker/daemon.json"
        try:
            config = json.loads(host.read_text(path) or "{}")
        except ValueError:
            config = {}
        root = (
            _flag(argv, "--data-root")
            or _flag(argv, "-g")
            or str(config.get("data-root") or "/var/lib/docker")
        )
        if root.rstrip("/") != data_root.rstrip("/"):
            continue
        return {
            "namespace": _flag(argv, "--containerd-namespace")
            or str(config.get("containerd-namespace") or "moby"),
            "cgroup_parent": _flag(argv, "--cgroup-parent") or str(config.get("cgroup-parent") or ""),
        }
    return None


def layout_of(host: Host, data_root: str, cgroup_driver: str) -> Layout | None:
    """The engine's layout, from its daemon's settings (read-only: needs no running container)."""
    settings = daemon_settings(host, data_root)
    if settings is None:
        return None
    parent = settings["cgroup_parent"]
    if cgroup_driver == "systemd":
        template = f"/{(parent or 'system.slice').strip('/')}/docker-{{id}}.scope"
    else:
        template = f"/{(parent or 'docker').strip('/')}/{{id}}"
    return Layout(settings["namespace"], template, tuple(CgroupReader(host).hierarchies()))


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
