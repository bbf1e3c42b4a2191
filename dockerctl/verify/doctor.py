"""What this host can and cannot enforce, judged from EngineFacts and KernelFacts (pure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

from dockerctl.observe.hostfacts import CommandResult, EngineFacts, KernelFacts
from dockerctl.spec.fields import FIELDS


class Support(StrEnum):
    SUPPORTED = "supported"
    NOT_SUPPORTED = "not-supported"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Capability:
    topic: str
    verdict: Support
    detail: str
    evidence: str
    claim: str = ""

    def to_dict(self) -> dict[str, str]:
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        return data


def _files(kernel: KernelFacts, *names: str) -> tuple[list[str], list[str]]:
    """(present, looked-at) paths among kernel.files whose basename is one of `names`."""
    looked = [p for p in kernel.files if Path(p).name in names]
    return [p for p in looked if kernel.files[p]], looked


def _file_capability(topic: str, claim: str, kernel: KernelFacts, names: list[str], what: str) -> Capability:
    present, looked = _files(kernel, *names)
    if not looked:
        where = (
            "no cgroup with these controllers was found"
            if kernel.cgroup_version == 1
            else ("no non-root v2 cgroup to look in")
        )
        return Capability(
            topic, Support.UNKNOWN, f"{' / '.join(names)}: {where}", "/proc/self/mountinfo", claim
        )
    if present:
        return Capability(
            topic, Support.SUPPORTED, f"{what}: {Path(present[0]).name}", ", ".join(present), claim
        )
    return Capability(
        topic,
        Support.NOT_SUPPORTED,
        f"none of {', '.join(names)} exists at the hierarchy root: not enforceable here (the engine may still accept it)",
        "absent: " + ", ".join(looked),
        claim,
    )


def _limit_capability(topic: str, field: str, kernel: KernelFacts, what: str) -> Capability:
    """Whether the files of limit `field` (a field table row, whose seed claim the capability cites) exist."""
    row = FIELDS[field]
    return _file_capability(
        topic, row.claim, kernel, list(row.files(1 if kernel.cgroup_version == 1 else 2)), what
    )


def _block_io_weight(kernel: KernelFacts) -> Capability:
    """Seed R5. The engine decides from the hierarchy root; BFQ weights also need the bfq scheduler."""
    v1 = kernel.cgroup_version == 1
    weight = FIELDS["blkio_weight"]
    cap = _limit_capability("block-IO weight", weight.name, kernel, "proportional block-IO weight")
    notes: list[str] = []
    evidence = [cap.evidence]
    child = [path for path, exists in kernel.child_files.items() if exists]
    if cap.verdict is Support.NOT_SUPPORTED and child:
        notes.append(
            f"child cgroups do have {', '.join(sorted({Path(p).name for p in child}))}, but the engine looks at "
            "the hierarchy root and discards --blkio-weight"
        )
        evidence.append(", ".join(child))
    bfq_involved = any("bfq" in Path(p).name for p in [*child, *(p for p, ok in kernel.files.items() if ok)])
    if bfq_involved and kernel.schedulers:
        bfq = [d for d, sched in kernel.schedulers.items() if sched == "bfq"]
        others = ", ".join(f"{d}: {sched}" for d, sched in kernel.schedulers.items())
        notes.append(
            "BFQ weights act only on disks whose scheduler is bfq: "
            + (", ".join(bfq) if bfq else f"none here ({others})")
        )
        evidence.append("/sys/block/*/queue/scheduler")
    if not v1 and cap.verdict is Support.SUPPORTED and kernel.io_cost_qos is not None:
        # a weight file is not a weight the kernel applies: io.weight needs the io cost controller on for
        # a device (the root's io.cost.qos), io.bfq.weight a disk whose scheduler is bfq
        path, text = kernel.io_cost_qos
        enabled = [line.split()[0] for line in (text or "").splitlines() if "enable=1" in line.split()]
        bfq_disks = [d for d, sched in kernel.schedulers.items() if sched == "bfq"]
        evidence.append(path)
        if not enabled and not bfq_disks:
            shown = "absent" if text is None else ("empty" if not text.strip() else "enables no device")
            scheds = ", ".join(f"{d}: {sched}" for d, sched in kernel.schedulers.items()) or "none read"
            return replace(
                cap,
                verdict=Support.NOT_SUPPORTED,
                detail=f"{weight.file(2)} exists, but nothing acts on it: {weight.v2_root} {shown} (the io cost controller "
                f"is on for no device) and no disk uses bfq ({scheds})",
                evidence="; ".join([*evidence, "/sys/block/*/queue/scheduler"]),
            )
        notes.append(
            "acted on by "
            + ", ".join(
                ([f"the io cost controller for {', '.join(enabled)}"] if enabled else [])
                + ([f"bfq on {', '.join(bfq_disks)}"] if bfq_disks else [])
            )
        )
    if not notes:
        return cap
    return replace(cap, detail=f"{cap.detail}; {'; '.join(notes)}", evidence="; ".join(evidence))


def _link(kind: str, result: CommandResult) -> Capability:
    topic = f"link type {kind}"
    if result.returncode is None:
        return Capability(topic, Support.UNKNOWN, result.output, result.command, "X1")
    if result.returncode == 0:
        return Capability(
            topic, Support.SUPPORTED, "created and removed in a throwaway netns", result.command, "X1"
        )
    last = result.output.splitlines()[-1] if result.output else f"exit {result.returncode}"
    return Capability(topic, Support.NOT_SUPPORTED, last, result.command, "X1")


def assess(engine: EngineFacts, kernel: KernelFacts | None) -> list[Capability]:
    """Every capability with its verdict; `kernel` None: the engine's kernel cannot be read from here."""
    caps: list[Capability] = []
    ping = f"GET {engine.url}/_ping"
    if engine.reachable:
        caps.append(Capability("engine reachable", Support.SUPPORTED, engine.url, ping))
        v = engine.version
        caps.append(
            Capability(
                "engine version",
                Support.SUPPORTED,
                f"Docker Engine {v.get('Version', '?')} (API {v.get('ApiVersion', '?')}, "
                f"min API {v.get('MinAPIVersion', '?')})",
                "GET /version",
            )
        )
        i = engine.info
        status = dict((str(k), str(val)) for k, val in (i.get("DriverStatus") or []))
        backing = (
            f", backing filesystem {status['Backing Filesystem']}" if "Backing Filesystem" in status else ""
        )
        caps.append(
            Capability(
                "storage driver",
                Support.SUPPORTED,
                f"{i.get('Driver', '?')}{backing}",
                "GET /info → Driver, DriverStatus",
                "S1,S2",
            )
        )
    else:
        caps.append(Capability("engine reachable", Support.NOT_SUPPORTED, engine.error, ping))
    if kernel is None:
        caps.append(
            Capability(
                "kernel readable",
                Support.UNKNOWN,
                "the engine's kernel cannot be read from here: cgroups, links and iptables are not judged",
                f"{engine.url} (use -H ssh://USER@HOST)",
                "K1",
            )
        )
        return caps

    mounts = "/proc/self/mountinfo"
    detail = f"v{kernel.cgroup_version}"
    if kernel.cgroup_version == 1 and any(h.version == 2 for h in kernel.hierarchies):
        detail += " (hybrid: an empty cgroup2 is mounted beside the v1 controllers)"
    verdict = Support.SUPPORTED
    if engine.reachable:
        driver = engine.info.get("CgroupDriver", "?")
        engine_v = str(engine.info.get("CgroupVersion", "?"))
        detail += f", engine driver {driver}"
        if engine_v != str(kernel.cgroup_version):
            verdict = Support.UNKNOWN
            detail += f" — but the engine reports cgroup v{engine_v}"
        mounts += "; GET /info → CgroupDriver, CgroupVersion"
    caps.append(Capability("cgroup version and driver", verdict, detail, mounts, "K1"))

    if kernel.cgroup_version == 1:
        controllers = sorted({c for h in kernel.hierarchies if h.version == 1 for c in h.controllers})
        evidence = "/proc/self/mountinfo (cgroup super options)"
    else:
        controllers = sorted({c for h in kernel.hierarchies if h.version == 2 for c in h.controllers})
        root = next((h.mount_point for h in kernel.hierarchies if h.version == 2), None)
        evidence = f"{root}/cgroup.controllers" if root else "/proc/self/mountinfo"
    caps.append(
        Capability(
            "mounted controllers",
            Support.SUPPORTED if controllers else Support.UNKNOWN,
            " ".join(controllers) or "none found",
            evidence,
            "K1",
        )
    )

    caps.append(_limit_capability("memory limit", "memory", kernel, "per-cgroup memory limit"))
    caps.append(_limit_capability("swap accounting", "memory_swap", kernel, "memory+swap limit"))
    caps.append(_limit_capability("CPU shares/weight", "cpu_shares", kernel, "relative CPU weight"))
    caps.append(_block_io_weight(kernel))
    caps.append(
        _limit_capability("device throttling", "device_read_bps", kernel, "per-device bps/iops limits")
    )

    for kind, result in kernel.links.items():
        caps.append(_link(kind, result))

    if engine.reachable:
        swarm = (engine.info.get("Swarm") or {}).get("LocalNodeState", "unknown")
        caps.append(
            Capability(
                "swarm state",
                Support.SUPPORTED if swarm != "unknown" else Support.UNKNOWN,
                f"{swarm} (overlay networks need an active swarm)",
                "GET /info → Swarm",
                "X3",
            )
        )
        options = [str(o) for o in engine.info.get("SecurityOptions") or []]
        remap = any("name=userns" in o for o in options)
        state = (
            "on: the engine maps container users to unprivileged host users"
            if remap
            else "off: root in a container is root on the host (daemon without --userns-remap)"
        )
        userns = kernel.max_user_namespaces
        verdict = (
            Support.UNKNOWN
            if userns is None
            else (Support.SUPPORTED if userns > 0 else Support.NOT_SUPPORTED)
        )
        caps.append(
            Capability(
                "user-namespace remapping",
                verdict,
                f"kernel user namespaces: max {userns}; engine remapping {state}",
                "/proc/sys/user/max_user_namespaces; GET /info → SecurityOptions",
                "K8",
            )
        )

    ipt = kernel.iptables
    if ipt.returncode == 0 and "(" in ipt.output:
        backend = ipt.output.rsplit("(", 1)[1].rstrip(")")
        caps.append(Capability("iptables backend", Support.SUPPORTED, backend, ipt.command, "O1,O2"))
    else:
        caps.append(
            Capability("iptables backend", Support.UNKNOWN, ipt.output or "no output", ipt.command, "O1,O2")
        )
    return caps
