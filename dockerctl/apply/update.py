"""`docker update` for every limit, with docker's semantics: the body sent to the engine's update
endpoint derives from the field table, and what was asked is recorded so the next check (and the next
plan) compares against it. Used by `dockerctl update` and by the playbook executor alike."""

from __future__ import annotations

from typing import Any

from docker.models.containers import Container

from dockerctl.apply.containers import update_resources
from dockerctl.apply.preflight import preflight_limits
from dockerctl.engines import asked_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import Conflict, InvalidInput
from dockerctl.spec.fields import FIELDS, THROTTLE_KINDS
from dockerctl.spec.models import Limits

SWAP_KEY = FIELDS["memory_swap"].host_config  # kept when only --memory changes


def update_body(
    current: Limits, host_config: dict[str, Any], changes: dict[str, Any]
) -> tuple[Limits, dict[str, Any]]:
    """(what is asked after the update, the engine's update body). Pure.

    As with `docker update`, changing -m alone keeps the current memory+swap limit.
    """
    if not changes:
        raise InvalidInput("give at least one limit to change, e.g. -m 200M or --cpus 0.5")
    for kind in THROTTLE_KINDS:
        if kind in changes:
            # measured on Docker 20.10: the update endpoint answers 200 and changes nothing
            raise InvalidInput(
                "the engine cannot change device throttles of an existing container (it accepts them on "
                "update and ignores them); recreate it with `dockerctl run` and the new throttle",
                field=kind,
            )
    merged = current.asked() | changes
    if "memory" in changes and "memory_swap" not in changes:
        kept = host_config.get(SWAP_KEY) or 0
        merged["memory_swap"] = kept if kept else None
        if kept and changes["memory"] and kept != -1 and kept < changes["memory"]:
            raise InvalidInput(
                f"the new memory limit is above the current memory+swap limit {kept}; "
                "give --memory-swap as well",
                field="memory",
            )
    target = Limits(**{k: v for k, v in merged.items() if v is not None})
    body = target.engine_resources()
    changed_keys = {FIELDS[k].host_config for k in changes} | (
        {SWAP_KEY} if "memory" in changes and SWAP_KEY in body else set()
    )
    body = {k: v for k, v in body.items() if k in changed_keys}
    for k in changes:
        if changes[k] in (None, 0) and FIELDS[k].host_config not in body:
            body[FIELDS[k].host_config] = 0
    return target, body


def apply_update(
    engine: Engine,
    container: Container,
    current: Limits,
    changes: dict[str, Any],
    *,
    record: dict[str, Any] | None = None,
) -> Limits:
    """Send the update, record what is now asked (or `record`), re-inspect; → what is asked now."""
    if (container.attrs.get("State") or {}).get("Status") != "running":
        raise Conflict(f"container {container.name} is not running", hint=f"docker start {container.name}")
    target, body = update_body(current, container.attrs.get("HostConfig") or {}, changes)
    preflight_limits(engine.host, target)
    update_resources(engine.client, container, body)
    asked_records.save(container.id, record if record is not None else target.asked())
    engine_call(container.reload, what=f"inspect container {container.name}")
    return target
