"""Interop with testcontainers: `docker run`'s limits on any DockerContainer (testcontainers' own modules
included), and a dockerctl lab network.

    with with_limits(DockerContainer("redis:7"), memory="64M", cpus=0.5, pids_limit=50) as redis:
        assert_limits(redis, memory="64M", cpus=0.5, pids_limit=50)

`with_limits` only adds create arguments: the container is created, pulled if missing, started, cleaned up
(`with`, `.stop()`, Ryuk) exactly as testcontainers does it. `lab=` additionally gives it dockerctl's
ownership labels, so `dockerctl down --lab`/`remove_owned` remove it with that lab.
"""

from __future__ import annotations

from typing import Any, TypeVar

import docker

from dockerctl.engines.labels import owned
from dockerctl.spec.inputs import LIMIT_FIELDS, limit_fields
from dockerctl.spec.models import Limits

C = TypeVar("C")


def _merge_kwargs(container: Any, extra: dict[str, Any]) -> None:
    # DockerContainer.with_kwargs replaces what an earlier call set: merge instead
    current = dict(getattr(container, "_kwargs", {}) or {})
    labels = {**(current.get("labels") or {}), **(extra.pop("labels", None) or {})}
    merged = {**current, **extra}
    if labels:
        merged["labels"] = labels
    container.with_kwargs(**merged)


def with_limits(container: C, *, lab: str | None = None, **limits: Any) -> C:
    """Give a testcontainers DockerContainer resource limits, written as `docker run` reads them
    (memory="64M", memory_swap="128M", cpus=0.5, cpu_shares=512, cpuset_cpus="0", pids_limit=50,
    blkio_weight=300, device_write_bps={"/dev/vda": "30MB"} …). Returns the container (chainable).

    Nothing else changes: no engine is contacted here, the image is pulled (or not) when testcontainers
    starts the container. `lab`: also label it as a dockerctl lab's, for dockerctl's cleanup by label.
    """
    if not hasattr(container, "with_kwargs"):
        raise TypeError(f"not a testcontainers DockerContainer: {container!r}")
    unknown = set(limits) - set(LIMIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown limit(s) {', '.join(sorted(unknown))}: use {', '.join(LIMIT_FIELDS)}")
    parsed = Limits(**limit_fields(limits))
    extra = parsed.host_config()
    if lab:
        extra["labels"] = owned(lab, parsed.asked())
    _merge_kwargs(container, extra)
    return container


def apply_lab_network(container: C, lab: Any, network: str, *, alias: str | None = None) -> C:
    """Attach the container to a network of a dockerctl lab (by the lab's own network name)."""
    net = lab.networks[network]
    extra: dict[str, Any] = {"network": net.name}
    if alias:
        extra["networking_config"] = {net.name: docker.types.EndpointConfig(version="1.41", aliases=[alias])}
    _merge_kwargs(container, extra)
    return container
