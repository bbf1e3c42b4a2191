"""Swarm services of a lab (beyond the course): replicas, `--limit-*`/`--reserve-*`, placement — made on
the swarm's manager, labelled like every resource dockerctl makes (the service and its tasks' containers)."""

from __future__ import annotations

from typing import Any

import docker
from docker.models.services import Service
from docker.types import EndpointSpec, Resources, ServiceMode

from dockerctl.engines.client import engine_call
from dockerctl.engines.labels import NODE_LABEL, owned
from dockerctl.spec.playbook import Playbook, ServiceEntry
from dockerctl.spec.units import parse_size


def resources(svc: ServiceEntry) -> Resources:
    """docker service create's --limit-memory/--limit-cpu/--reserve-memory/--reserve-cpu, as the CLI
    sends them: memory in bytes, CPUs in nano-CPUs."""

    def nano(cpus: float | None) -> int | None:
        return round(cpus * 1e9) if cpus else None

    def size(text: str | None, key: str) -> int | None:
        return parse_size(text, field=key) if text else None

    return Resources(
        cpu_limit=nano(svc.limit_cpu),
        mem_limit=size(svc.limit_memory, "limit_memory"),
        cpu_reservation=nano(svc.reserve_cpu),
        mem_reservation=size(svc.reserve_memory, "reserve_memory"),
    )


def create_service(
    client: docker.DockerClient,
    pb: Playbook,
    name: str,
    svc: ServiceEntry,
    labels: dict[str, str],
    *,
    image: str | None = None,
) -> Service:
    kwargs: dict[str, Any] = {
        "name": f"{pb.name}-{name}",
        "command": svc.argv(),
        "labels": {**labels, **owned(pb.name)},
        "container_labels": owned(pb.name),
        "mode": ServiceMode("replicated", replicas=svc.replicas),
        "resources": resources(svc),
        "networks": [f"{pb.name}-{n}" for n in svc.networks],
        "endpoint_spec": EndpointSpec(mode="vip"),
        "constraints": [f"node.labels.{NODE_LABEL}=={svc.host}"] if svc.host else [],
    }
    if svc.max_per_host:
        kwargs["maxreplicas"] = svc.max_per_host
    made: Service = engine_call(
        client.services.create, image or svc.image, what=f"create service {name}", **kwargs
    )
    return made
