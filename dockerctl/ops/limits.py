"""`run`, `limits`, `update`: containers with limits, and every limit read back from the kernel of the
engine's host.

`limits C` only reads, and loads only what reading needs (issue 38): no apply/ module and no pydantic
model — the limits asked are plain values (spec/limit_values.py). `run` and `update` change things and
load the apply/ layer and the validated model when they run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockerctl.checks.limits import asked_of, asked_values, check_limits
from dockerctl.checks.subject import running_pid
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.inspect import get
from dockerctl.errors import DockerctlError
from dockerctl.hosts import KernelUnreachable
from dockerctl.jsonout import Jsonable
from dockerctl.spec.limit_values import LimitValues
from dockerctl.verify.verdict import Check, Verdict

if TYPE_CHECKING:
    from dockerctl.spec.models import ContainerSpec


@dataclass
class LimitsReport:
    container_id: str
    name: str
    image: str
    source: str  # where "asked" came from
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verified: bool = True
    kernel: str = ""  # the host whose kernel was read
    unreachable: str = ""  # why that kernel could not be read (-H tcp://, an ssh host gone): exit 7

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": {"id": self.container_id, "name": self.name, "image": self.image},
            "asked_from": self.source,
            "kernel": self.kernel,
            "verified": self.verified,
            "ok": self.ok,
            "warnings": self.warnings,
            "checks": [c.to_dict() for c in self.checks],
        }


def _verify(engine: Engine, report: LimitsReport, container: Any, asked: LimitValues) -> None:
    """Fill the report's checks from the engine host's kernel — or say why it cannot be read."""
    report.kernel = engine.host.name
    try:
        report.checks, report.warnings = check_limits(engine.host, container, asked)
    except KernelUnreachable as exc:
        report.checks = [
            Check(name, "-", str(value), "not read", Verdict.UNKNOWN, "", exc.message)
            for name, value in (asked.asked() or {"limits": "as asked"}).items()
        ]
        report.warnings.append(f"limits cannot be verified from here: {exc.message}")
        report.unreachable = exc.message


def limits_report(engine: Engine, ref: str) -> LimitsReport:
    container = get(engine.client, ref)
    running_pid(container, needs="its cgroups")
    asked, source = asked_values(container)
    image = (container.attrs.get("Config") or {}).get("Image", "")
    report = LimitsReport(container.id, container.name, image, source)
    _verify(engine, report, container, asked)
    return report


def run_container(
    engine: Engine, spec: ContainerSpec, *, verify: bool, allow_engine_socket: bool = False
) -> LimitsReport:
    from dockerctl.apply.containers import create_and_start
    from dockerctl.apply.preflight import preflight_container

    preflight_container(engine, spec, allow_engine_socket=allow_engine_socket)
    container = create_and_start(engine.client, spec)
    report = LimitsReport(container.id, container.name, spec.image, "this command", verified=verify)
    if verify:
        _verify(engine, report, container, spec.limits)
    return report


def update_limits(engine: Engine, ref: str, changes: dict[str, Any], *, verify: bool) -> LimitsReport:
    """`docker update` for every limit, with docker's semantics, then (optionally) the kernel check."""
    from dockerctl.apply.update import apply_update, update_body
    from dockerctl.spec.models import Limits

    update_body(Limits(), {}, changes)  # bad input is refused before the engine is asked anything
    container = get(engine.client, ref)
    current, _ = asked_of(container)
    target = apply_update(engine, container, current, changes)
    report = LimitsReport(container.id, container.name, "", "this command", verified=verify)
    if verify:
        _verify(engine, report, container, target)
    return report


@dataclass
class TaskLimits(Jsonable):
    JSON = "task node host note checks"

    task: str  # service.slot
    node: str
    host: str  # the lab host it landed on, or the node's address
    checks: list[Check] = field(default_factory=list)
    note: str = ""


@dataclass
class ServiceLimitsReport(Jsonable):
    JSON = "service ok tasks"

    service: str
    tasks: list[TaskLimits] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            bool(self.tasks)
            and all(c.ok for t in self.tasks for c in t.checks)
            and all(t.checks for t in self.tasks)
        )


def _node_engines(engine: Engine) -> dict[str, Engine]:
    """Swarm node id → an Engine on it: this one, and every lab host that is up and answers."""
    from dockerctl.fabric import labhosts
    from dockerctl.fabric.swarm import node_id

    out = {node_id(engine): engine}
    for _, e in labhosts.walk(labhosts.all_hosts()):
        try:
            node = node_id(e)
        except DockerctlError:
            node = ""
        if node and node not in out:
            out[node] = e
        else:  # not a swarm node, or one already reached: the caller closes only what is returned
            e.close()
    return out


def service_limits_report(engine: Engine, name: str) -> ServiceLimitsReport:
    """One row per running task: its limits read on the node where it landed (that node's kernel)."""
    from dockerctl.spec.host_config import limits_from_host_config

    svc = engine_call(engine.client.services.get, name, what=f"find service {name}")
    report = ServiceLimitsReport(str(svc.name))
    nodes = _node_engines(engine)
    try:
        for task in svc.tasks(filters={"desired-state": "running"}):
            node_id = str(task.get("NodeID", ""))
            node = engine_call(engine.client.nodes.get, node_id, what="find a task's node")
            addr = str((node.attrs.get("Status") or {}).get("Addr", ""))
            row = TaskLimits(f"{svc.name}.{task.get('Slot', '?')}", node_id[:12], addr)
            cid = ((task.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID", "")
            on = nodes.get(node_id)
            if on is None or not cid:
                row.note = (
                    f"node {node_id[:12]} ({addr}) is not reachable from here: its kernel cannot be read"
                )
            else:
                row.host = on.name
                container = engine_call(
                    on.client.containers.get, cid, what=f"find the container of {row.task}"
                )
                asked = limits_from_host_config(container.attrs.get("HostConfig") or {})
                checks, _ = check_limits(on.host, container, asked)
                row.checks = [c for c in checks if c.desired not in ("", "unset")]
            report.tasks.append(row)
    finally:
        for e in nodes.values():
            if e is not engine:
                e.close()
    return report


def is_service(engine: Engine, name: str) -> bool:
    """Whether `name` is a swarm service this engine manages."""
    info = engine_call(engine.client.info, what="read the engine info")
    if not (info.get("Swarm") or {}).get("ControlAvailable"):
        return False
    return bool(engine_call(engine.client.services.list, filters={"name": name}, what="list services"))
