"""How isolated a container is, read from the kernel instead of `docker inspect` (CIS Docker Benchmark
section 5 items): its namespaces against those of its containerd shim (which lives in the engine host's
namespaces), its effective capabilities and device access, its root mount, the host paths its bind mounts
expose (from mountinfo's device and root, mapped through the host's own mount table) and whether the
engine's socket is reachable inside it under any name (device and inode, not the path string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dockerctl.hosts import Host
from dockerctl.observe.mounts import Mount, parse_mountinfo
from dockerctl.observe.namespaces import kernel_kinds, namespace_ids

PSEUDO = ("proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "tmpfs", "overlay", "shm")


def parse_status(text: str) -> dict[str, str]:
    """/proc/PID/status → {field: value}."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class Exposure:
    """A host path reachable inside the container through a mount."""

    mount_point: str  # where it is inside
    host_path: str  # what it is on the host
    read_only: bool


KNOWN_TO_EVERY_ENGINE = (1 << 38) - 1  # capabilities 0 … 37 (CAP_AUDIT_READ, Linux 3.16)


@dataclass
class Isolation:
    pid: int
    reference_pid: int  # the process whose namespaces are the host's (the container's shim)
    reference: str  # what that process is
    namespaces: dict[str, str] = field(default_factory=dict)
    host_namespaces: dict[str, str] = field(default_factory=dict)
    unreadable: list[str] = field(
        default_factory=list
    )  # kinds whose ids (its or the reference's) were not read
    cap_eff: int | None = None
    cap_full: int | None = None
    devices_all: bool | None = None  # v1 devices.list "a *:* rwm"; None where not readable (v2: eBPF)
    root_read_only: bool | None = None
    exposures: list[Exposure] = field(default_factory=list)  # bind mounts of host directories and files
    socket_inside: list[str] = field(default_factory=list)  # paths inside where the engine's socket is
    socket_unreadable: list[str] = field(default_factory=list)  # paths inside where it may be: unreadable
    evidence: dict[str, str] = field(default_factory=dict)

    def shared(self, kind: str) -> bool | None:
        mine, host = self.namespaces.get(kind), self.host_namespaces.get(kind)
        return None if mine is None or host is None else mine == host

    @property
    def privileged_caps(self) -> bool | None:
        """Every capability the host side could give, of those every engine knows: an engine older than
        the kernel grants `--privileged` only the capabilities it has names for (caps 0–37, up to
        CAP_AUDIT_READ), so CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE (38–40) are not required."""
        if self.cap_eff is None or self.cap_full is None:
            return None
        known = self.cap_full & KNOWN_TO_EVERY_ENGINE
        return self.cap_eff & known == known


def _host_path(m: Mount, host_mounts: list[Mount]) -> str | None:
    """The host path of a container mount: the host's mount of the same device whose root holds m's
    root, joined with what is left of m's root."""
    best: tuple[int, str] | None = None
    for h in host_mounts:
        if h.device != m.device:
            continue
        root = h.root.rstrip("/")
        if m.root == h.root or m.root.startswith(root + "/") or root == "":
            rest = m.root[len(root) :] if root else m.root
            path = str(PurePosixPath(h.mount_point) / rest.lstrip("/"))
            if best is None or len(h.mount_point) < best[0]:
                best = (len(h.mount_point), path)
    return best[1] if best else None


def read_isolation(
    host: Host, pid: int, socket_path: str | None, mount_tables: dict[str, list[Mount]] | None = None
) -> Isolation:
    """`mount_tables`: mount tables already parsed, by mount namespace — the shims of a hundred
    containers share one, and parsing it is most of the read (an audit passes one dict for all)."""
    status = parse_status(host.read_text(f"/proc/{pid}/status") or "")
    ppid = int(status.get("PPid", "0") or 0)
    cmd = host.read_text(f"/proc/{ppid}/cmdline") or "" if ppid else ""
    reference, what = (ppid, "containerd shim") if "containerd-shim" in cmd else (1, "init (pid 1)")
    out = Isolation(pid, reference, f"{what} {reference}")
    out.namespaces = namespace_ids(host, pid)
    out.host_namespaces = namespace_ids(host, reference)
    out.unreadable = [
        k for k in kernel_kinds(host) if k not in out.namespaces or k not in out.host_namespaces
    ]
    out.evidence["namespaces"] = f"/proc/{pid}/ns/* vs /proc/{reference}/ns/* ({what}) on {host.name}"
    ref_status = parse_status(host.read_text(f"/proc/{reference}/status") or "")
    if status.get("CapEff") and ref_status.get("CapBnd"):
        # privileged: every capability the host side could give (its bounding set), not a fixed full set
        out.cap_eff = int(status["CapEff"], 16)
        out.cap_full = int(ref_status["CapBnd"], 16)
        out.evidence["capabilities"] = (
            f"/proc/{pid}/status CapEff {status['CapEff']} vs /proc/{reference}/status CapBnd "
            f"{ref_status['CapBnd']} on {host.name}"
        )
    cgroup = host.read_text(f"/proc/{pid}/cgroup") or ""
    m = re.search(r"^\d+:devices:(\S+)$", cgroup, re.MULTILINE)
    if m:
        path = f"/sys/fs/cgroup/devices{m.group(1)}/devices.list"
        text = host.read_text(path)
        if text is not None:
            out.devices_all = "a *:* rwm" in text
            out.evidence["devices"] = f"{path} on {host.name}"
    mounts = parse_mountinfo(host.read_text(f"/proc/{pid}/mountinfo") or "")
    mnt = out.host_namespaces.get("mnt") if mount_tables is not None else None
    if mount_tables is not None and mnt and mnt in mount_tables:
        host_mounts = mount_tables[mnt]
    else:
        host_mounts = parse_mountinfo(host.read_text(f"/proc/{reference}/mountinfo") or "")
        if mount_tables is not None and mnt:
            mount_tables[mnt] = host_mounts
    out.evidence["mounts"] = f"/proc/{pid}/mountinfo and /proc/{reference}/mountinfo on {host.name}"
    roots = [x for x in mounts if x.mount_point == "/"]
    out.root_read_only = roots[-1].read_only if roots else None
    for x in mounts:
        if x.mount_point == "/" or x.fstype in PSEUDO or x.fstype.startswith("fuse"):
            continue
        exposed = _host_path(x, host_mounts)
        if exposed is not None:
            out.exposures.append(Exposure(x.mount_point, exposed, x.read_only))
    if socket_path:
        sock = host.stat(socket_path)
        real = host.realpath(socket_path)
        if sock is not None:
            for x in mounts:
                host_dir = _host_path(x, host_mounts)
                if host_dir is None or not (real == host_dir or real.startswith(host_dir.rstrip("/") + "/")):
                    continue
                inside = x.mount_point.rstrip("/") + real[len(host_dir.rstrip("/")) :]
                seen = host.stat(f"/proc/{pid}/root{inside}")
                if seen is not None and (seen.dev, seen.ino) == (sock.dev, sock.ino):
                    out.socket_inside.append(inside)
                elif seen is None and host.list_dir(f"/proc/{pid}/root/") is None:
                    out.socket_unreadable.append(inside)  # its root is not ours to look into (not root)
            out.evidence["socket"] = (
                f"stat {socket_path} and /proc/{pid}/root<mount> (device, inode) on {host.name}"
            )
    return out
