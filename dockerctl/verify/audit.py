"""`audit` findings, judged from what the kernel shows (pure: readings in, findings out).

Each finding has a rule id (what `--fail-on` names), the CIS Docker Benchmark 1.6 item where there is
one, what was found and the evidence. docker-bench-security judges these items from `docker inspect`;
here the kernel decides: a memory limit the kernel does not hold is not a memory limit, a namespace
shared through `container:` mode is shared, a socket bind-mounted under another name is the socket.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dockerctl.observe.isolation import Isolation
from dockerctl.observe.orphans import Sandbox, Shim
from dockerctl.observe.pressure import Pressure
from dockerctl.spec.units import format_bytes
from dockerctl.verify.verdict import Check, Verdict

SENSITIVE = ("/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr")


@dataclass(frozen=True)
class Rule:
    id: str
    cis: str
    title: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("not-enforced", "", "a limit the container asked for is not held by the kernel"),
        Rule("mismatch", "", "the kernel holds another value than the container asked for"),
        Rule(
            "imposed", "", "the kernel holds a limit nobody asked for: the host imposed it (its source named)"
        ),
        Rule("no-memory-limit", "5.11", "memory is not limited in the kernel"),
        Rule("no-cpu-priority", "5.12", "no CPU priority: default shares and no quota in the kernel"),
        Rule("no-pids-limit", "5.29", "the number of processes is not limited in the kernel"),
        Rule("privileged", "5.5", "every capability and every device: a privileged container"),
        Rule("sensitive-mount-rw", "5.6", "a sensitive host directory is mounted read-write"),
        Rule("host-network", "5.10", "shares the host's network namespace"),
        Rule("host-pid", "5.16", "shares the host's PID namespace"),
        Rule("host-ipc", "5.17", "shares the host's IPC namespace"),
        Rule("host-uts", "5.21", "shares the host's UTS namespace"),
        Rule("host-userns", "5.31", "shares the host's user namespace while the engine remaps users"),
        Rule("engine-socket", "5.32", "the engine's socket is reachable inside"),
        Rule("writable-root", "5.13", "the root filesystem is writable"),
        Rule("oom-killed", "", "the kernel OOM-killed processes of it"),
        Rule("memory-limit-hit", "", "memory use reached the limit"),
        Rule("cpu-throttled", "", "CPU time was throttled by its quota"),
        Rule("pids-limit-hit", "", "forks were refused at the pids limit"),
        Rule("orphan", "", "something of a container the engine no longer knows is left behind"),
        Rule(
            "unreadable",
            "",
            "a kernel fact a rule judges could not be read (needs root): unknown, not judged fine",
        ),
    )
}
DEFAULT_FAIL_ON = ("not-enforced", "mismatch", "unreadable")
NEEDS_ROOT = "unknown: needs root"
# namespace kind → (the rule that judges it, the HostConfig key that asks for it)
NAMESPACE_RULES = {
    "net": ("host-network", "NetworkMode"),
    "pid": ("host-pid", "PidMode"),
    "ipc": ("host-ipc", "IpcMode"),
    "uts": ("host-uts", "UTSMode"),
    "user": ("host-userns", "UsernsMode"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    container: str
    group: str  # "compose project P", "swarm service S", "dockerctl lab L", "none"
    found: str
    evidence: str
    verdict: Verdict | None = None  # None: found in the kernel; UNKNOWN: could not be read, not judged

    @property
    def cis(self) -> str:
        return RULES[self.rule].cis

    @property
    def unknown(self) -> bool:
        return self.verdict is Verdict.UNKNOWN

    def fails(self, fail_on: tuple[str, ...]) -> bool:
        """A finding of a --fail-on rule; one that could not be judged fails under its rule and under
        `unreadable` (a host-network container cannot be ruled out where its namespace is unreadable)."""
        return self.rule in fail_on or (self.unknown and "unreadable" in fail_on)

    def to_dict(self) -> dict[str, Any]:
        data = {**asdict(self), "cis": self.cis, "title": RULES[self.rule].title}
        data["verdict"] = str(self.verdict) if self.verdict else "found"
        return data


def parse_fail_on(text: str) -> tuple[str, ...]:
    """'not-enforced,oom-killed' → rule ids; 'none' → (); 'all' → every rule. Raises ValueError naming
    what is unknown and listing the rules."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    if words == ["none"]:
        return ()
    if words == ["all"]:
        return tuple(RULES)
    unknown = [w for w in words if w not in RULES]
    if unknown or not words:
        raise ValueError(
            f"unknown rule {', '.join(unknown) or '(none given)'}: use a comma-separated list of "
            f"{', '.join(RULES)}, or all, or none"
        )
    return tuple(words)


def limit_findings(name: str, group: str, checks: list[Check]) -> list[Finding]:
    out = []
    for c in checks:
        if c.verdict is Verdict.IMPOSED:
            out.append(Finding("imposed", name, group, f"{c.subject}: asked {c.desired}, kernel {c.observed} — {c.note}",
                               c.evidence))  # fmt: skip
        elif c.verdict in (Verdict.NOT_ENFORCED, Verdict.MISMATCH):
            rule = "not-enforced" if c.verdict is Verdict.NOT_ENFORCED else "mismatch"
            found = f"{c.subject}: asked {c.desired}, kernel {c.observed}" + (
                f" — {c.note}" if c.note else ""
            )
            out.append(Finding(rule, name, group, found, c.evidence))
    return out


def _cpu_shares_default(shares_text: str | None) -> bool:
    return shares_text in (None, "1024", "100")  # v1 cpu.shares default · v2 cpu.weight default


def isolation_findings(
    name: str,
    group: str,
    iso: Isolation,
    *,
    userns_remap: bool,
    socket_path: str | None,
    modes: dict[str, str] | None = None,
) -> list[Finding]:
    """`modes`: the engine's HostConfig (NetworkMode, PidMode, …) — what the container asked for. The
    kernel's namespace ids are the proof and decide; where they cannot be read (not root), the finding is
    unknown: under the namespace's rule when the engine says `host` (asked, not proven), else one
    `unreadable` finding naming the kinds and what the engine says of them."""
    out = []
    modes = modes or {}
    ns_evidence = iso.evidence.get("namespaces", "")
    unproven: list[str] = []
    for kind, (rule, key) in NAMESPACE_RULES.items():
        if kind == "user" and not userns_remap:
            continue
        shared = iso.shared(kind)
        if shared:
            out.append(
                Finding(
                    rule,
                    name,
                    group,
                    f"{kind} namespace {iso.namespaces[kind]} is the host's ({iso.reference})",
                    ns_evidence,
                )
            )
        elif shared is None and kind in iso.unreadable:
            said = modes.get(key) or "unset"
            if said == "host":
                out.append(Finding(rule, name, group, f"{kind} namespace: {NEEDS_ROOT} to prove it; the "
                                   f"engine's HostConfig says {key}=host", ns_evidence, Verdict.UNKNOWN))  # fmt: skip
            else:
                unproven.append(f"{kind} ({key}={said})")
    if unproven:
        out.append(Finding("unreadable", name, group, f"namespaces {', '.join(unproven)}: {NEEDS_ROOT} to "
                           "prove they are not the host's", ns_evidence, Verdict.UNKNOWN))  # fmt: skip
    if iso.privileged_caps and iso.devices_all is not False:
        devices = " and every device (devices.list a *:* rwm)" if iso.devices_all else ""
        out.append(Finding("privileged", name, group, f"all capabilities (CapEff {iso.cap_eff:x}){devices}",
                           iso.evidence.get("capabilities", "")))  # fmt: skip
    for e in iso.exposures:
        sensitive = e.host_path == "/" or any(
            e.host_path == s or e.host_path.startswith(s + "/") for s in SENSITIVE
        )
        if sensitive and not e.read_only:
            out.append(Finding("sensitive-mount-rw", name, group, f"host {e.host_path} at {e.mount_point}, read-write",
                               iso.evidence.get("mounts", "")))  # fmt: skip
    for inside in iso.socket_inside:
        out.append(Finding("engine-socket", name, group, f"{socket_path} is reachable inside as {inside}",
                           iso.evidence.get("socket", "")))  # fmt: skip
    for inside in iso.socket_unreadable:
        out.append(Finding("engine-socket", name, group, f"{socket_path} may be reachable inside as {inside}: "
                           f"{NEEDS_ROOT} to compare device and inode", iso.evidence.get("socket", ""),
                           Verdict.UNKNOWN))  # fmt: skip
    if iso.root_read_only is False:
        out.append(Finding("writable-root", name, group, "/ is mounted rw", iso.evidence.get("mounts", "")))
    return out


def resource_findings(
    name: str, group: str, p: Pressure, shares: str | None, quota: bool, evidence: dict[str, str]
) -> list[Finding]:
    """5.11 / 5.12 / 5.29 from the kernel's own limit files, and the pressure counters since start."""
    out = []
    if p.memory_limit is None and "memory_limit" in p.evidence:
        out.append(
            Finding("no-memory-limit", name, group, "memory limit: unlimited", p.evidence["memory_limit"])
        )
    if _cpu_shares_default(shares) and not quota:
        out.append(Finding("no-cpu-priority", name, group, f"cpu weight {shares or 'default'}, no quota",
                           evidence.get("cpu", "")))  # fmt: skip
    if p.pids_max is None and "pids" in p.evidence:
        out.append(Finding("no-pids-limit", name, group, "pids.max: max", p.evidence["pids"]))
    if p.oom_kills:
        out.append(
            Finding(
                "oom-killed",
                name,
                group,
                f"{p.oom_kills} OOM kill(s) since it started",
                p.evidence.get("oom_kills", ""),
            )
        )
    if p.limit_hits or p.peak_at_limit:
        usage = (
            f" (now {format_bytes(p.memory_usage)} of {format_bytes(p.memory_limit)})"
            if p.memory_usage
            else ""
        )
        if p.limit_hits:
            found, where = f"limit reached {p.limit_hits} time(s){usage}", p.evidence.get("limit_hits", "")
        else:
            found = f"peak use {format_bytes(p.memory_peak)} reached the limit {format_bytes(p.memory_limit)}{usage}"
            where = p.evidence.get("memory_peak", "")
        out.append(Finding("memory-limit-hit", name, group, found, where))
    if p.cpu_throttled_periods:
        share = f" of {p.cpu_periods} periods" if p.cpu_periods else ""
        out.append(Finding("cpu-throttled", name, group,
                           f"throttled in {p.cpu_throttled_periods}{share}, {p.cpu_throttled_seconds or 0:.2f} s",
                           p.evidence.get("cpu", "")))  # fmt: skip
    if p.pids_limit_hits:
        out.append(Finding("pids-limit-hit", name, group, f"{p.pids_limit_hits} fork(s) refused at pids.max {p.pids_max}",
                           p.evidence.get("pids", "")))  # fmt: skip
    return out


def orphan_ids(shim_ids: list[str], cgroup_ids: list[str], running: dict[str, bool]) -> list[str]:
    """Container ids with a shim or a cgroup on the host that the engine does not list, or lists as
    not running: what it lost track of."""
    ids = dict.fromkeys([*shim_ids, *cgroup_ids])
    return [cid for cid in ids if not running.get(cid, False)]


def orphan_findings(
    shims: list[Shim], cgroups: dict[str, str], engine_view: dict[str, tuple[str, str, bool]], host: str
) -> list[Finding]:
    """engine_view: container id → (name, status, running) as the engine lists it."""
    running = {cid: view[2] for cid, view in engine_view.items()}
    by_id = {s.container_id: s for s in shims}
    out = []
    for cid in orphan_ids(list(by_id), list(cgroups), running):
        name, status, _ = engine_view.get(cid, (cid[:12], "", False))
        said = f"which the engine reports as {status}" if status else "which the engine does not list"
        if cid in by_id:
            s = by_id[cid]
            out.append(Finding("orphan", name, "engine lost track",
                               f"containerd shim {s.pid} of container {cid[:12]}, {said}", f"{s.evidence} on {host}"))  # fmt: skip
        if cid in cgroups:
            out.append(Finding("orphan", name, "engine lost track", f"cgroup of container {cid[:12]}, {said}",
                               f"{cgroups[cid]} on {host}"))  # fmt: skip
    return out


def sandbox_findings(
    sandboxes: list[Sandbox], pairs: list[tuple[str, str]], daemon_pid: int, host: str
) -> list[Finding]:
    """Network sandboxes no running container uses, their host-side veths, and veth pairs never moved."""
    out = []
    for sb in sandboxes:
        held = {True: f"still mounted (nsfs) in dockerd {daemon_pid}'s mount namespace", False: "a file only",
                None: "its mount not readable"}[sb.mounted]  # fmt: skip
        out.append(Finding("orphan", sb.name, "engine lost track",
                           f"network namespace file {sb.path}, used by no running container ({held})",
                           f"{sb.path} and /proc/{daemon_pid}/mountinfo on {host}"))  # fmt: skip
        for veth in sb.veths:
            out.append(Finding("orphan", sb.name, "engine lost track",
                               f"veth {veth}, its peer inside the network namespace {sb.path}",
                               f"ip -json link on {host} and inside {sb.path}"))  # fmt: skip
    for a, b in pairs:
        out.append(Finding("orphan", a, "engine lost track",
                           f"veth pair {a} / {b} in the engine's network namespace, attached to nothing "
                           "(made for a sandbox that was never finished)", f"ip -json link on {host}"))  # fmt: skip
    return out
