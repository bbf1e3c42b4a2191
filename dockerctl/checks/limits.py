"""Limits, read and judged in one place (seed R1–R7, K1): what was asked, the cgroup files on the
engine's host, the verdict per limit. `limits`, `run --verify`, `update --verify`, playbook `limits`
expectations and `assert_limits` all come here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docker.models.containers import Container

from dockerctl.checks.subject import pid_of
from dockerctl.engines import asked_records
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import MANAGED, requested_of
from dockerctl.hosts import Host
from dockerctl.observe.cgroup import CgroupReader
from dockerctl.observe.devices import BlockDevice, resolve_devices
from dockerctl.observe.limits import read_container_limits
from dockerctl.spec.host_config import limits_from_host_config
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.limit_values import LimitValues, recorded
from dockerctl.verify.limits import select, verify_limits
from dockerctl.verify.verdict import Check

if TYPE_CHECKING:
    from dockerctl.spec.models import Limits


def asked_values(container: Container) -> tuple[LimitValues, str]:
    """What the user asked for: dockerctl's label plus later updates; else the engine's HostConfig.
    Plain values (what reading and judging need): no validation library is loaded for them."""
    labels = container.labels or {}
    if labels.get(MANAGED) == "true":
        asked = requested_of(labels)
        update = asked_records.load(container.id)
        if update is not None:
            return recorded(update), "dockerctl update record"
        return recorded(asked), "dockerctl label io.dockerctl.requested"
    return limits_from_host_config(container.attrs.get("HostConfig") or {}), "engine HostConfig"


def asked_of(container: Container) -> tuple[Limits, str]:
    """`asked_values` as the model a spec holds (twins run with it, an update starts from it)."""
    from dockerctl.spec.models import Limits

    values, source = asked_values(container)
    return Limits.of(values), source


def check_limits(
    host: Host,
    container: Container,
    asked: LimitValues,
    reader: CgroupReader | None = None,
    page: int | None = None,
) -> tuple[list[Check], list[str]]:
    """Every limit of `asked` against the container's cgroup files on `host` → (checks, warnings).
    `reader` and `page`: the ones an operation over many containers already has (one scrape)."""
    kernel = read_container_limits(reader or CgroupReader(host), pid_of(container), container.id)
    devices = resolve_devices(host, asked)
    warnings = [d.partition_warning() for d in devices.values() if isinstance(d, BlockDevice) and d.partition]
    checks = verify_limits(
        asked, kernel, devices, container.attrs.get("HostConfig"), page or host.page_size()
    )
    return checks, warnings


def check_given_limits(engine: Engine, container: Container, given: dict[str, Any]) -> list[Check]:
    """Only the limits in `given` (written as people write them), judged against the container's own
    request with those values put in — so memory_swap alone means memory+swap for its memory."""
    from dockerctl.spec.models import Limits

    own, _ = asked_values(container)
    checks, _ = check_limits(engine.host, container, Limits(**{**own.asked(), **limit_fields(given)}))
    return select(checks, given)
