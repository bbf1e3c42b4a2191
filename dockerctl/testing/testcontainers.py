"""Interop with testcontainers: the course's limits and a dockerctl lab network on a DockerContainer,
with cleanup by dockerctl's labels instead of the Ryuk reaper (which would pull an image).

    container = with_limits(DockerContainer("dockerctl/base"), lab=lab.name, memory="64M", cpu_shares=512)
    apply_lab_network(container, lab, "front", alias="app")
    with container:
        assert_limits(container, memory="64M", cpu_shares=512)
"""

from __future__ import annotations

from typing import Any

import docker

from dockerctl.apply.containers import ensure_image_local
from dockerctl.engines.labels import owned
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.models import Limits


def _merge_kwargs(container: Any, extra: dict[str, Any]) -> None:
    # DockerContainer.with_kwargs replaces what an earlier call set: merge instead
    current = dict(getattr(container, "_kwargs", {}) or {})
    labels = {**(current.get("labels") or {}), **(extra.pop("labels", None) or {})}
    container.with_kwargs(**{**current, **extra, "labels": labels})


def with_limits(container: Any, *, lab: str, client: docker.DockerClient | None = None, **limits: Any) -> Any:
    """Give a testcontainers DockerContainer dockerctl's limits and ownership labels (lab `lab`).

    The image must already be on the engine: testcontainers pulls missing images, and nothing may be
    pulled here, so a missing image fails now with dockerctl's own error instead.
    """
    client = client or docker.from_env()
    ensure_image_local(client, container.image)
    parsed = Limits(**limit_fields(limits))
    _merge_kwargs(container, {**parsed.host_config(), "labels": owned(lab, parsed.asked())})
    return container


def apply_lab_network(container: Any, lab: Any, network: str, *, alias: str | None = None) -> Any:
    """Attach the container to a network of a dockerctl lab (by the lab's own network name)."""
    net = lab.networks[network]
    extra: dict[str, Any] = {"network": net.name}
    if alias:
        extra["networking_config"] = {net.name: docker.types.EndpointConfig(version="1.41", aliases=[alias])}
    _merge_kwargs(container, extra)
    return container
