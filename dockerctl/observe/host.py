"""Facts about this host for `doctor`: the engine's own report, cgroup files, link-type probes, iptables.

Only reads, plus link probes that run in a throwaway network namespace (`unshare --net`): the
namespace and every link made in it vanish with the probe process, so no host device is touched and
nothing can be left behind even if the probe is killed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.apply.client import connect, engine_call, engine_url
from dockerctl.errors import DockerctlError
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, Hierarchy

# kind → shell commands that make one such link inside a fresh network namespace
LINK_PROBES: dict[str, str] = {
    "veth": "ip link add p0 type veth peer name p1",
    "bridge": "ip link add b0 type bridge",
    "macvlan": "ip link add p0 type veth peer name p1 && ip link add m0 link p0 type macvlan mode bridge",
    "vxlan": "ip link add vx0 type vxlan id 42 dstport 4789",
    "ipvlan": "ip link add p0 type veth peer name p1 && ip link add i0 link p0 type ipvlan mode l2",
    "vlan": "ip link add p0 type veth peer name p1 && ip link add link p0 name p0.10 type vlan id 10",
    "dummy": "ip link add d0 type dummy",
}


@dataclass(frozen=True)
class CommandResult:
    command: str
    returncode: int | None  # None: could not run at all
    output: str


@dataclass
class EngineFacts:
    url: str
    reachable: bool
    error: str = ""
    version: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class KernelFacts:
    cgroup_version: int
    hierarchies: list[Hierarchy]
    files: dict[str, bool]  # absolute path → exists (the evidence of each cgroup capability)
    probe_dir: str | None  # v2: the non-root cgroup whose files were looked at
    links: dict[str, CommandResult]
    iptables: CommandResult
    max_user_namespaces: int | None = None  # /proc/sys/user/max_user_namespaces
    child_files: dict[str, bool] = field(default_factory=dict)  # v1: weight files in a child cgroup
    schedulers: dict[str, str] = field(default_factory=dict)  # disk → active IO scheduler


def run(command: list[str], timeout: float = 10) -> CommandResult:
    shown = " ".join(command)
    if shutil.which(command[0]) is None:
        return CommandResult(shown, None, f"{command[0]}: not installed")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CommandResult(shown, None, str(exc))
    return CommandResult(shown, done.returncode, (done.stdout + done.stderr).strip())


def engine_facts(base_url: str | None = None) -> EngineFacts:
    url = engine_url(base_url)
    try:
        client = connect(base_url)
    except DockerctlError as exc:
        return EngineFacts(url, False, str(exc))
    try:
        version = engine_call(client.version, what="read the engine version")
        info = engine_call(client.info, what="read the engine info")
    except DockerctlError as exc:
        return EngineFacts(url, False, str(exc))
    finally:
        client.close()
    return EngineFacts(url, True, "", version, info)


# files whose presence shows a capability; v1: relative to the controller's hierarchy root
V1_FILES = {
    "memory": ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"],
    "cpu": ["cpu.shares"],
    "blkio": ["blkio.weight", "blkio.bfq.weight", "blkio.throttle.read_bps_device"],
}
V2_FILES = ["memory.max", "memory.swap.max", "cpu.weight", "io.weight", "io.bfq.weight", "io.max"]


def _v2_probe_dir(reader: CgroupReader, root: Path) -> Path | None:
    """v2 keeps limit files only in non-root cgroups: look at our own, else the first child cgroup."""
    try:
        own = reader.locate("self", "")
        if own.path != root and (own.path / "memory.max").exists():
            return own.path
    except CgroupNotFound:
        pass
    try:
        for child in sorted(root.iterdir()):
            if child.is_dir() and (child / "memory.max").exists():
                return child
    except OSError:
        return None
    return None


def kernel_facts(reader: CgroupReader | None = None, *, probe_links: bool = True) -> KernelFacts:
    reader = reader or CgroupReader()
    hierarchies = reader.hierarchies()
    version = reader.version()
    files: dict[str, bool] = {}
    probe_dir: Path | None = None
    child_files: dict[str, bool] = {}
    if version == 1:
        for controller, names in V1_FILES.items():
            for h in hierarchies:
                if h.version == 1 and controller in h.controllers:
                    for name in names:
                        files[str(h.mount_point / name)] = (h.mount_point / name).exists()
                    if controller == "blkio":
                        child = _first_child(h.mount_point)
                        if child is not None:
                            for name in ("blkio.weight", "blkio.bfq.weight"):
                                child_files[str(child / name)] = (child / name).exists()
    else:
        root = next((h.mount_point for h in hierarchies if h.version == 2), None)
        probe_dir = _v2_probe_dir(reader, root) if root else None
        if probe_dir is not None:
            for name in V2_FILES:
                files[str(probe_dir / name)] = (probe_dir / name).exists()
    links: dict[str, CommandResult] = {}
    if probe_links:
        for kind, script in LINK_PROBES.items():
            done = run(["unshare", "--net", "--", "sh", "-c", script])
            links[kind] = CommandResult(f"unshare --net -- sh -c '{script}'", done.returncode, done.output)
    try:
        max_userns: int | None = int((reader.proc / "sys/user/max_user_namespaces").read_text())
    except (OSError, ValueError):
        max_userns = None
    return KernelFacts(
        version,
        hierarchies,
        files,
        str(probe_dir) if probe_dir else None,
        links,
        run(["iptables", "--version"]),
        max_userns,
        child_files,
        io_schedulers(reader.fs_root / "sys"),
    )


def _first_child(directory: Path) -> Path | None:
    try:
        return next((c for c in sorted(directory.iterdir()) if c.is_dir()), None)
    except OSError:
        return None


def io_schedulers(sys_root: Path = Path("/sys")) -> dict[str, str]:
    """disk → the active scheduler ('[bfq]' in /sys/block/<disk>/queue/scheduler); BFQ weights need bfq."""
    out: dict[str, str] = {}
    try:
        disks = sorted((sys_root / "block").iterdir())
    except OSError:
        return out
    for disk in disks:
        try:
            text = (disk / "queue" / "scheduler").read_text()
        except OSError:
            continue
        active = text[text.find("[") + 1 : text.find("]")] if "[" in text else text.strip()
        if disk.name.startswith(("loop", "ram", "zram")):
            continue
        out[disk.name] = active
    return out
