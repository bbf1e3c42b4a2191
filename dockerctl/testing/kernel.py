"""Why a container died, and how hard it pushes against its limits — asserted from the kernel.

`assert_oom_killed` / `assert_not_oom_killed`: an OOM kill, not any SIGKILL (both exit 137). Where the
answer comes from, in this order:
1. the container runs: its memory cgroup's own OOM-kill counter — v1 `memory.oom_control` `oom_kill N`,
   v2 `memory.events` `oom_kill N` (a process of the container was OOM-killed, the container lives on);
2. it exited: the runtime removed its cgroup and the counter with it, so the kernel's log is read
   (`dmesg` on the engine's host): the kernel writes one `oom-kill:…,oom_memcg=…<id>…` line per OOM
   kill, naming the container's cgroup; `docker kill -s KILL` leaves none;
3. the engine's `State.OOMKilled` is shown next to the kernel's answer in every case. The engine sets it
   from the runtime's OOM event on the container's cgroup (not from the exit code), so it also counts —
   it alone decides only when the kernel cannot be read (a tcp:// engine, a kernel log that is not
   readable or has rotated past the kill), and the table then says so.

`assert_no_throttling` (cpu.stat nr_throttled / nr_periods, throttled time) and `assert_pids_headroom`
(pids.current against pids.max, pids.events `max`) read the running container's pressure counters
(observe/pressure.py) on cgroup v1 and v2.

Each failing assertion raises with the table of asked / engine / kernel / the file read (evidence.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.engines.engine import Engine
from dockerctl.hosts import Host, KernelUnreachable
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader
from dockerctl.observe.oom import KernelLog, read_kernel_log
from dockerctl.observe.pressure import Pressure, read_pressure
from dockerctl.spec.fields import FIELDS
from dockerctl.testing.assertions import _host, as_container
from dockerctl.testing.evidence import Recorder, failure

HEADER = ("check", "asked", "engine", "kernel", "read from")


@dataclass(frozen=True)
class OomEvidence:
    """What the kernel and the engine say about OOM kills in one container."""

    container: str
    killed: bool
    kernel: str  # the kernel's answer, as shown
    read_from: str  # the file (or command) it came from
    engine: str  # State.OOMKilled, exit code and status
    decided_by: str  # "cgroup counter", "kernel log" or "engine flag"
    note: str = ""
    count: int | None = None  # the counter's value, when it was read


def _state(c: Container) -> dict[str, Any]:
    return dict(c.attrs.get("State") or {})


def _engine_says(state: dict[str, Any]) -> str:
    return f"OOMKilled={str(bool(state.get('OOMKilled'))).lower()} exit {state.get('ExitCode')} ({state.get('Status')})"


def _pressure(host: Host, c: Container) -> Pressure | None:
    """The counters while the container runs; None when it does not (its cgroup is gone)."""
    pid = int(_state(c).get("Pid") or 0)
    if pid <= 0:
        return None
    try:
        return read_pressure(CgroupReader(host), pid, str(c.id))
    except CgroupNotFound:
        return None


def oom_evidence(container: Container, host: Host) -> OomEvidence:
    """The OOM kills of `container` (freshly inspected) from its cgroup, else the kernel log, with the
    engine's flag alongside."""
    state = _state(container)
    flag = bool(state.get("OOMKilled"))
    engine = _engine_says(state)
    name = str(container.name)
    if not host.readable:
        return OomEvidence(name, flag, "unreadable", host.name, engine, "engine flag",
                           f"the kernel of {host.name} cannot be read from here: the engine's flag decides")  # fmt: skip
    try:
        pressure = _pressure(host, container)
    except KernelUnreachable as exc:
        return OomEvidence(name, flag, "unreadable", host.name, engine, "engine flag", str(exc))
    if pressure is not None and pressure.oom_kills is not None:
        count = pressure.oom_kills
        return OomEvidence(name, count > 0 or flag, f"oom_kill {count}", pressure.evidence["oom_kills"],
                           engine, "cgroup counter", count=count)  # fmt: skip
    log: KernelLog = read_kernel_log(host, str(container.id))
    why_gone = "the container is not running: its cgroup (and OOM counter) went with it"
    if not log.readable:
        return OomEvidence(name, flag, "unreadable", log.source, engine, "engine flag",
                           f"{why_gone}; {log.error}; the engine's flag decides")  # fmt: skip
    if log.records:
        first = log.records[0]
        shown = f"{len(log.records)} OOM kill(s) in {first.memcg}: task={first.task} pid={first.pid}"
        return OomEvidence(name, True, shown, log.source, engine, "kernel log", why_gone)
    note = why_gone + "; the kernel log holds no OOM kill in its memory cgroup"
    if flag:  # the log is a ring buffer: the kill may have rotated out; the engine saw the OOM event
        note += " (rotated out?) but the engine recorded the runtime's OOM event"
    return OomEvidence(name, flag, "no OOM kill of its cgroup logged", log.source, engine,
                       "engine flag" if flag else "kernel log", note)  # fmt: skip


def _oom_failure(
    ev: OomEvidence, asked: str, heading: str, record_property: Recorder | None
) -> AssertionError:
    rows = [HEADER, ("OOM kill", asked, ev.engine, ev.kernel, ev.read_from)]
    notes = [f"decided by: {ev.decided_by}"] + ([ev.note] if ev.note else [])
    return failure(heading, rows, notes, record_property=record_property)


def assert_oom_killed(
    container: Any,
    *,
    within: float = 0,
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
    record_property: Recorder | None = None,
) -> OomEvidence:
    """The kernel OOM-killed a process of the container (its init or another one) — not any SIGKILL:
    `docker kill -s KILL` also exits 137 and fails this. `within`: seconds to wait for the kill (a job
    that must run out of memory). Returns the evidence; fails with the table."""
    host = _host(engine)
    deadline = time.monotonic() + within
    while True:
        c = as_container(container, client)
        ev = oom_evidence(c, host)
        if ev.killed or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not ev.killed:
        raise _oom_failure(ev, "killed by the OOM killer", f"container {ev.container} was not OOM-killed:",
                           record_property)  # fmt: skip
    return ev


def assert_not_oom_killed(
    container: Any,
    *,
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
    record_property: Recorder | None = None,
) -> OomEvidence:
    """No process of the container was OOM-killed (kernel counter, kernel log, engine flag: none says so)."""
    c = as_container(container, client)
    ev = oom_evidence(c, _host(engine))
    if ev.killed:
        raise _oom_failure(ev, "no OOM kill", f"container {ev.container} was OOM-killed:", record_property)
    return ev


def _running_pressure(c: Container, host: Host, what: str) -> Pressure:
    if not host.readable:
        raise AssertionError(f"the kernel of {host.name} cannot be read from here: {what} cannot be checked")
    pressure = _pressure(host, c)
    if pressure is None:
        raise AssertionError(f"container {c.name} is not running: its {what} exist only while it runs")
    return pressure


def _cpus_asked(hc: dict[str, Any]) -> str:
    if hc.get("NanoCpus"):
        return f"NanoCpus {hc['NanoCpus']} ({hc['NanoCpus'] / 1e9:g} CPUs)"
    if (hc.get("CpuQuota") or 0) > 0:
        return f"CpuQuota {hc['CpuQuota']} / CpuPeriod {hc.get('CpuPeriod') or 100000}"
    return "no CPU quota"


def assert_no_throttling(
    container: Any,
    *,
    below: float = 0.05,
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
    record_property: Recorder | None = None,
) -> Pressure:
    """Fewer than `below` (a fraction) of the container's CPU periods were throttled by its quota so far
    (cpu.stat nr_throttled / nr_periods; throttled time shown). A container without a CPU quota has no
    periods and passes. Returns the counters."""
    if not 0 < below <= 1:
        raise TypeError(f"below is a fraction of CPU periods (0 < below ≤ 1), got {below!r}")
    c = as_container(container, client)
    p = _running_pressure(c, _host(engine), "CPU counters")
    periods, throttled = p.cpu_periods or 0, p.cpu_throttled_periods or 0
    ratio = throttled / periods if periods else 0.0
    if ratio >= below:
        seconds = p.cpu_throttled_seconds or 0.0
        kernel = f"nr_throttled {throttled} of nr_periods {periods} ({ratio:.1%}), {seconds:.2f} s throttled"
        rows = [HEADER, ("CPU throttling", f"< {below:.1%} of periods", _cpus_asked(c.attrs.get("HostConfig") or {}),
                         kernel, p.evidence.get("cpu", "cpu.stat"))]  # fmt: skip
        raise failure(
            f"container {c.name} is throttled by its CPU quota:", rows, record_property=record_property
        )
    return p


def assert_pids_headroom(
    container: Any,
    *,
    at_least: int = 1,
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
    record_property: Recorder | None = None,
) -> Pressure:
    """At least `at_least` more processes fit under pids.max, and no fork has been refused at the limit
    so far (pids.events `max` is 0). Returns the counters."""
    c = as_container(container, client)
    p = _running_pressure(c, _host(engine), "pids counters")
    current, limit, refused = p.pids_current, p.pids_max, p.pids_limit_hits or 0
    free = None if limit is None or current is None else limit - current
    if refused or (free is not None and free < at_least):
        hc = c.attrs.get("HostConfig") or {}
        pids_file = p.evidence.get("pids", FIELDS["pids_limit"].file(2))
        directory = pids_file.rsplit("/", 1)[0]
        kernel = (f"pids.current {current} of pids.max {'max' if limit is None else limit}; "
                  f"pids.events max {refused} (forks refused)")  # fmt: skip
        rows = [HEADER, ("pids headroom", f"≥ {at_least} free, no fork refused",
                         f"PidsLimit {hc.get('PidsLimit') or 'unlimited'}", kernel,
                         f"{directory}/pids.current, pids.max, pids.events")]  # fmt: skip
        raise failure(f"container {c.name} has no pids headroom:", rows, record_property=record_property)
    return p
