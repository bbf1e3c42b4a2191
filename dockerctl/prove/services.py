"""Expectations of swarm services: every running task's limits read on the node it landed on, and where
the tasks landed. Handlers of prove/expectations.py's registry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dockerctl.checks.limits import check_given_limits
from dockerctl.engines.client import engine_call
from dockerctl.engines.labels import NODE_LABEL
from dockerctl.prove.registry import Context, handles
from dockerctl.verify import services
from dockerctl.verify.verdict import Check


@handles("service_limits")
def _service_limits(body: Any, ctx: Context) -> list[Check]:
    pb = ctx.playbook
    manager = ctx.engines[pb.manager].client
    svc = engine_call(manager.services.get, f"{pb.name}-{body.service}", what=f"find service {body.service}")
    given = dict(body.model_extra or {})
    checks: list[Check] = []
    landed: list[str] = []
    for task in svc.tasks(filters={"desired-state": "running"}):
        node = engine_call(manager.nodes.get, task["NodeID"], what="find a task's node")
        host = ((node.attrs.get("Spec") or {}).get("Labels") or {}).get(NODE_LABEL, "")
        cid = ((task.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID", "")
        slot = f"{body.service}.{task.get('Slot', '?')}"
        if host not in ctx.engines or not cid:
            checks.append(services.off_the_lab(slot, task["NodeID"], host))
            continue
        landed.append(host)
        engine = ctx.engines[host]
        container = engine_call(engine.client.containers.get, cid, what=f"find the container of {slot}")
        for ch in check_given_limits(engine, container, given):
            checks.append(replace(ch, subject=f"{slot} on {host}: {ch.subject}"))
    if body.hosts:
        checks.append(services.placement(body.service, list(body.hosts), landed))
    return checks
