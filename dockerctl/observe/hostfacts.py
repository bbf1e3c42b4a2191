"""Facts about an engine's host for `doctor`: the engine's own report, cgroup files, link-type probes,
iptables — all read on the host whose kernel runs the engine's containers.

Only reads, plus link probes that run in a throwaway network namespace (`unshare --net`): the
namespace and every link made in it vanish with the probe process, so no host device is touched and
nothing can be left behind even if the probe is killed.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import docker

from dockerctl.engines.client import engine_call
from dockerctl.errors import DockerctlError
from dockerctl.hosts import Completed, Host
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, Hierarchy
from dockerctl.spec.fields import FIELDS

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

    @classmethod
    def of(cls, done: Completed, shown: str | None = None) -> CommandResult:
        return cls(shown or done.shown, done.returncode, done.output)


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
    io_cost_qos: tuple[str, str | None] | None = None  # v2: (path, text or None) of the root's io.cost.qos


def engine_facts(client: docker.DockerClient, url: str) -> EngineFacts:
    try:
        version = engine_call(client.version, what="read the engine version")
        info = engine_call(client.info, what="read the engine info")
    except DockerctlError as exc:
        return EngineFacts(url, False, str(exc))
    return EngineFacts(url, True, "", version, info)


# the limits whose files' presence shows a capability (verify/doctor reports one each; one device
# throttle stands for the four: v1 keeps them side by side, v2 in one io.max)
PROBED = ("memory", "memory_swap", "cpu_shares", "blkio_weight", "device_read_bps")
# v1: relative to the controller's hierarchy root
V1_FILES: dict[str, list[str]] = {}
for _name in PROBED:
    V1_FILES.setdefault(FIELDS[_name].controller or "", []).extend(FIELDS[_name].files(1))
V2_FILES = [name for probed in PROBED for name in FIELDS[probed].files(2)]
WEIGHT = FIELDS["blkio_weight"]


def _v2_probe_dir(reader: CgroupReader, root: PurePosixPath) -> PurePosixPath | None:
    """v2 keeps limit files only in non-root cgroups: look at our own, else the first child cgroup."""
    host = reader.host
    try:
        own = reader.locate("self", "")
        if own.path != root and host.exists(str(own.path / FIELDS["memory"].file(2))):
            return own.path
    except CgroupNotFound:
        pass
    for name in host.list_dir(str(root)) or []:
        child = root / name
        if host.exists(str(child / FIELDS["memory"].file(2))):
            return child
    return None


def kernel_facts(host: Host, *, probe_links: bool = True) -> KernelFacts:
    reader = CgroupReader(host)
    hierarchies = reader.hierarchies()
    version = reader.version()
    files: dict[str, bool] = {}
    probe_dir: PurePosixPath | None = None
    child_files: dict[str, bool] = {}
    io_cost: tuple[str, str | None] | None = None
    if version == 1:
        for controller, names in V1_FILES.items():
            for h in hierarchies:
                if h.version == 1 and controller in h.controllers:
                    for name in names:
                        files[str(h.mount_point / name)] = host.exists(str(h.mount_point / name))
                    if controller == WEIGHT.controller:
                        child = _first_child(host, h.mount_point)
                        if child is not None:
                            for name in WEIGHT.files(1):
                                child_files[str(child / name)] = host.exists(str(child / name))
    else:
        root = next((h.mount_point for h in hierarchies if h.version == 2), None)
        probe_dir = _v2_probe_dir(reader, root) if root else None
        if probe_dir is not None:
            for name in V2_FILES:
                files[str(probe_dir / name)] = host.exists(str(probe_dir / name))
        if root is not None:  # io.weight is acted on by the io cost controller, per device it enables
            io_cost = (str(root / WEIGHT.v2_root), host.read_text(str(root / WEIGHT.v2_root)))
    links: dict[str, CommandResult] = {}
    if probe_links:
        # can a network namespace be made at all? if not (not root), no probe says anything of a link type
        control = host.run(["unshare", "--net", "--", "true"])
        for kind, script in LINK_PROBES.items():
            argv = ["unshare", "--net", "--", "sh", "-c", script]
            shown = shlex.join(argv)  # as evidence: what ran, quoted from the argv itself
            if not control.ok:
                why = control.output.strip().splitlines()[-1] if control.output.strip() else "it failed"
                links[kind] = CommandResult(
                    f"unshare --net -- true ({shown} not run)",
                    None,
                    f"could not probe (needs root): no network namespace could be made to probe in: {why}",
                )
                continue
            done = host.run(argv)
            links[kind] = CommandResult.of(done, shown)
    try:
        max_userns: int | None = int(host.read_text("/proc/sys/user/max_user_namespaces") or "")
    except ValueError:
        max_userns = None
    return KernelFacts(
        version,
        hierarchies,
        files,
        str(probe_dir) if probe_dir else None,
        links,
        CommandResult.of(host.run(["iptables", "--version"])),
        max_userns,
        child_files,
        io_schedulers(host),
        io_cost,
    )


def _first_child(host: Host, directory: PurePosixPath) -> PurePosixPath | None:
    for name in host.list_dir(str(directory)) or []:
        if host.is_dir(str(directory / name)):
            return directory / name
    return None


def io_schedulers(host: Host) -> dict[str, str]:
    """disk → the active scheduler ('[bfq]' in /sys/block/<disk>/queue/scheduler); BFQ weights need bfq."""
    out: dict[str, str] = {}
    for disk in host.list_dir("/sys/block") or []:
        if disk.startswith(("loop", "ram", "zram")):
            continue
        text = host.read_text(f"/sys/block/{disk}/queue/scheduler")
        if text is None:
            continue
        out[disk] = text[text.find("[") + 1 : text.find("]")] if "[" in text else text.strip()
    return out
