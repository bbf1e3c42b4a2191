"""`top` and the exporter's readings: each container's limits biting — memory against its limit, OOM
kills and limit hits since start, CPU used against its quota and throttled in the last interval, pids
against pids.max — with the verdict of each limit, read fresh from the kernel of the engine's host."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from docker.models.containers import Container

from dockerctl.checks.limits import asked_of, check_limits
from dockerctl.checks.subject import pid_of
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.inspect import list_inspected
from dockerctl.engines.labels import LAB
from dockerctl.errors import DockerctlError, InvalidInput, NotFound
from dockerctl.jsonout import Jsonable
from dockerctl.observe.cgroup import CgroupReader
from dockerctl.observe.pressure import Pressure, read_pressure
from dockerctl.ops.audit import group_of
from dockerctl.spec.models import Limits
from dockerctl.verify.verdict import Check


@dataclass
class Sample:
    """One container read once."""

    name: str
    id: str
    image: str
    group: str
    labels: dict[str, str]
    at: float  # time.monotonic() of the read
    pressure: Pressure | None = None
    asked: Limits | None = None
    checks: list[Check] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class Selection:
    names: tuple[str, ...] = ()
    lab: str | None = None
    project: str | None = None

    def filters(self) -> dict[str, Any]:
        labels = []
        if self.lab:
            labels.append(f"{LAB}={self.lab}")
        if self.project:
            labels.append(f"com.docker.compose.project={self.project}")
        return {"label": labels} if labels else {}


def select(engine: Engine, selection: Selection) -> list[Container]:
    """The running containers chosen (all of them when nothing is named)."""
    if selection.names:
        out = []
        for ref in selection.names:
            try:
                out.append(engine_call(engine.client.containers.get, ref, what=f"find container {ref}"))
            except NotFound:
                raise NotFound(
                    f"no container {ref!r} on the engine at {engine.url}",
                    where="CONTAINER",
                    hint="`docker ps` lists the running ones",
                ) from None
        return out
    return list_inspected(engine.client, filters=selection.filters())


def read_one(engine: Engine, c: Container, reader: CgroupReader, page: int | None = None) -> Sample:
    labels = dict(c.labels or {})
    s = Sample(str(c.name), str(c.id), str((c.attrs.get("Config") or {}).get("Image", "")), group_of(labels), labels,
               time.monotonic())  # fmt: skip
    pid = pid_of(c)
    if pid <= 0:
        s.error = "not running"
        return s
    try:
        s.asked, _ = asked_of(c)
        s.pressure = read_pressure(reader, pid, s.id)
        s.checks, _ = check_limits(engine.host, c, s.asked, reader, page)
    except DockerctlError as exc:  # gone between the listing and the read, or its kernel not readable
        s.error = exc.message
    return s


def sample(engine: Engine, selection: Selection) -> list[Sample]:
    return sample_of(engine, select(engine, selection))


def sample_of(engine: Engine, containers: list[Container]) -> list[Sample]:
    reader = CgroupReader(engine.host)
    page = engine.host.page_size()
    return [read_one(engine, c, reader, page) for c in containers]


@dataclass
class Row(Jsonable):
    """What `top` shows for one container, from two reads `interval` apart."""

    JSON = (
        "name group memory_usage_bytes=memory_usage memory_limit_bytes=memory_limit "
        "memory_percent swap_usage_bytes=swap_usage limit_hits oom_kills cpu_percent "
        "cpu_quota_cpus=cpu_quota throttled_percent pids pids_max verdicts psi io error"
    )

    name: str
    group: str
    memory_usage: int | None
    memory_limit: int | None
    swap_usage: int | None
    limit_hits: int | None
    oom_kills: int | None
    cpu_percent: float | None  # of one CPU, over the interval
    cpu_quota: float | None  # CPUs the quota allows (None: no quota)
    throttled_percent: float | None  # of the CFS periods in the interval
    pids: int | None
    pids_max: int | None
    verdicts: dict[str, str]  # limit → verdict
    psi: dict[str, dict[str, dict[str, float]]]
    error: str = ""
    changed: tuple[str, ...] = ()  # figures that differ from the last refresh
    io: list[dict[str, Any]] = field(default_factory=list)  # per device: rates over the interval, throttles

    @property
    def memory_percent(self) -> float | None:
        if self.memory_usage is None or not self.memory_limit:
            return None
        return 100 * self.memory_usage / self.memory_limit


def _delta(a: float | int | None, b: float | int | None) -> float | None:
    return None if a is None or b is None else float(b) - float(a)


def rows(before: list[Sample], now: list[Sample], shown: dict[str, Row] | None = None) -> list[Row]:
    """Rates over the interval between two samples; `shown`: the last refresh, to mark what changed."""
    prev = {s.id: s for s in before}
    out = []
    for s in now:
        p, q = s.pressure, (prev.get(s.id).pressure if s.id in prev else None)  # type: ignore[union-attr]
        cpu_pct = throttled = None
        if p is not None and q is not None:
            dt = s.at - prev[s.id].at
            used = _delta(q.cpu_usage_seconds, p.cpu_usage_seconds)
            if used is not None and dt > 0:
                cpu_pct = 100 * used / dt
            periods = _delta(q.cpu_periods, p.cpu_periods)
            hit = _delta(q.cpu_throttled_periods, p.cpu_throttled_periods)
            if periods and hit is not None:
                throttled = 100 * hit / periods
            elif periods == 0:
                throttled = 0.0
        row = Row(
            s.name, s.group,
            p.memory_usage if p else None, p.memory_limit if p else None, p.swap_usage if p else None,
            p.limit_hits if p else None, p.oom_kills if p else None,
            cpu_pct, s.asked.cpus if s.asked else None, throttled,
            p.pids_current if p else None, p.pids_max if p else None,
            {c.subject: str(c.verdict) for c in s.checks}, p.psi if p else {}, s.error,
        )  # fmt: skip
        if p is not None:
            row.io = io_rates(q, p, s.at - prev[s.id].at if s.id in prev else 0.0)
        if shown and s.name in shown:
            old = shown[s.name].to_dict()
            row.changed = tuple(k for k, v in row.to_dict().items() if k != "psi" and old.get(k) != v)
        out.append(row)
    return out


def io_rates(before: Pressure | None, now: Pressure, seconds: float) -> list[dict[str, Any]]:
    """Bytes/s read and written per device over the interval, beside the throttles the kernel holds for
    it; only devices with traffic or a throttle."""
    out = []
    for dev in sorted(set(now.io_bytes) | set(now.io_limits)):
        read_limit, write_limit = now.io_limits.get(dev, (None, None))
        rates: list[float | None] = [None, None]
        if before is not None and seconds > 0 and dev in now.io_bytes and dev in before.io_bytes:
            was = before.io_bytes[dev]
            rates = [max(0.0, (now.io_bytes[dev][i] - was[i]) / seconds) for i in (0, 1)]
        if not any(rates) and read_limit is None and write_limit is None:
            continue
        out.append({"device": dev, "read_bps": rates[0], "write_bps": rates[1],
                    "read_limit_bps": read_limit, "write_limit_bps": write_limit})  # fmt: skip
    return out


def top_once(engine: Engine, selection: Selection, interval: float) -> list[Row]:
    """Two reads `interval` seconds apart → one row per container (what `top --once` prints)."""
    if not 0.1 <= interval <= 60:
        raise InvalidInput(
            f"--interval must be between 0.1 and 60 seconds, got {interval:g}", where="--interval"
        )
    chosen = select(engine, selection)  # the same containers both times (a stopped one reads as such)
    first = sample_of(engine, chosen)
    time.sleep(interval)
    return rows(first, sample_of(engine, chosen))
