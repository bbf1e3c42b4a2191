"""Whole operations that chain the layers: parse → apply → observe → verify. The CLI only calls these.

Data flows one way: apply returns engine state, observe reads the kernel, verify compares, and the
result goes to the renderer. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.apply.containers import create_and_start
from dockerctl.apply.labels import requested_of
from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, container_cgroup, page_size, read_memory
from dockerctl.spec.models import ContainerSpec, MemoryLimits
from dockerctl.verify.checks import Check, Verdict, verify_memory


@dataclass
class RunResult:
    container_id: str
    name: str
    image: str
    verified: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": {"id": self.container_id, "name": self.name, "image": self.image},
            "verified": self.verified,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


def memory_checks(
    container: Container, limits: MemoryLimits, reader: CgroupReader | None = None
) -> list[Check]:
    """Read the container's own memory cgroup and compare it with `limits` (seed R1–R3, K1)."""
    reader = reader or CgroupReader()
    pid = int(container.attrs.get("State", {}).get("Pid") or 0)
    try:
        where = container_cgroup(reader, pid, container.id, "memory")
    except CgroupNotFound as exc:
        return [
            Check(
                "memory",
                "R1",
                str(limits.effective_memory),
                "unreadable",
                Verdict.UNKNOWN,
                f"/proc/{pid}/cgroup",
                str(exc),
            )
        ]
    return verify_memory(limits, read_memory(where), page_size())


def requested_limits(container: Container) -> MemoryLimits:
    """What the user asked for, from the container's own label — not the engine's echo of it."""
    asked = requested_of(container.labels)
    return MemoryLimits(**{k: v for k, v in asked.items() if k in MemoryLimits.model_fields})


def run_container(client: docker.DockerClient, spec: ContainerSpec, *, verify: bool) -> RunResult:
    container = create_and_start(client, spec)
    result = RunResult(container.id, container.name, spec.image, verify)
    if verify:
        result.checks = memory_checks(container, requested_limits(container))
    return result
