"""Bring a Topology (or a playbook) up on an engine as a lab, and remove the lab again.

Every resource carries the lab's labels; engine names are "<lab>-<name>", and each container is also
reachable as "<name>" on the lab's networks (an alias). A failure half-way (or Ctrl-C) removes what this
bring-up made, so nothing is orphaned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import docker
from docker.models.containers import Container
from docker.models.networks import Network
from docker.models.volumes import Volume
from docker.types import Mount

from dockerctl.apply import networks, volumes
from dockerctl.apply.cleanup import Removed, remove_owned
from dockerctl.apply.containers import create_and_start
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned
from dockerctl.spec.models import ContainerSpec
from dockerctl.spec.network import NetworkSpec, parse_publish
from dockerctl.spec.topology import BUILTIN_NETWORKS, ContainerEntry, NetworkEntry, Topology, VolumeEntry


@dataclass
class LabHandle:
    """Handles to a running lab's resources, by the lab's own names."""

    name: str
    containers: dict[str, Container] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    checks: list[Any] = field(default_factory=list)  # a playbook's expectations, as verified

    def __getitem__(self, name: str) -> Container:
        return self.containers[name]


def _mounts(lab: str, entries: list[str]) -> list[str]:
    """docker-py's list form ("src:dst:mode"): one volume may be mounted at several paths."""
    out = []
    for entry in entries:
        if ":" not in entry:
            continue  # anonymous: see _anonymous
        source, target, *rest = entry.split(":")
        mode = "ro" if rest and rest[0] == "ro" else "rw"
        out.append(f"{source if source.startswith('/') else f'{lab}-{source}'}:{target}:{mode}")
    return out


def _anonymous(lab: str, entries: list[str]) -> list[Mount]:
    """Anonymous volumes through the Mounts API, so they carry the lab's labels too."""
    return [Mount(e, None, type="volume", labels=owned(lab)) for e in entries if ":" not in e]


def create_volume(
    client: docker.DockerClient, lab: str, name: str, v: VolumeEntry, labels: dict[str, str]
) -> Volume:
    """A lab's volume, made like `dockerctl vol create` makes one."""
    vol, _ = volumes.create_volume(
        client, f"{lab}-{name}", driver=v.driver, options=v.options, lab=lab, labels=labels
    )
    return cast(Volume, vol)


def create_network(engine: Engine, lab: str, name: str, n: NetworkEntry, labels: dict[str, str]) -> Network:
    """A lab's network, made — and checked first — like `dockerctl net create` makes one."""
    spec = NetworkSpec(
        name=f"{lab}-{name}",
        driver=n.driver,
        subnet=n.subnet,
        gateway=n.gateway,
        ip_range=n.ip_range,
        internal=n.internal,
        attachable=n.attachable,
        options=n.options,
        lab=lab,
        labels=labels,
    )
    return networks.create_network(engine, spec)


def create_container(
    client: docker.DockerClient,
    lab: str,
    spec: Topology,
    name: str,
    c: ContainerEntry,
    labels: dict[str, str],
    image: str | None = None,
    *,
    check_image: bool = True,
) -> Container:
    """One lab entry → one container: lab-prefixed names for its networks, volumes and peers.
    `check_image=False`: the caller made sure the image is on this engine (once for many containers)."""
    extra: dict[str, Any] = {"volumes": _mounts(lab, c.volumes), "mounts": _anonymous(lab, c.volumes)}
    nets = [f"{lab}-{n}" if n in spec.networks else n for n in c.networks]
    mode = c.network_mode
    if mode and mode.startswith("container:"):
        mode = f"container:{lab}-{mode.split(':', 1)[1]}"
    resolver_of = getattr(spec, "resolver_of", lambda _driver: None)  # a model's name server (X12)
    resolvers = [resolver_of(spec.networks[n].driver) for n in c.networks if n in spec.networks]
    if any(resolvers):
        extra["dns"] = [next(r for r in resolvers if r)]  # through the engine's embedded DNS
    if nets:
        extra["network"] = nets[0]
        if nets[0] not in BUILTIN_NETWORKS:
            extra["networking_config"] = {
                nets[0]: client.api.create_endpoint_config(aliases=[name], ipv4_address=c.ip)
            }
    cspec = ContainerSpec(
        image=image or c.image,
        command=c.argv(),
        name=f"{lab}-{name}",
        limits=c.limits(f"containers.{name}"),
        lab=lab,
        hostname=c.hostname,
        network=mode,
        publish=tuple(parse_publish(p) for p in c.publish),
        volumes_from=tuple(f"{lab}-{ref}" for ref in c.volumes_from),
        labels={**c.labels, **labels},
    )
    container = create_and_start(client, cspec, extra, start=not c.create_only, check_image=check_image)
    for net in c.networks[1:]:
        full = f"{lab}-{net}" if net in spec.networks else net
        # the engine's connect endpoint, by name, as `docker network connect` does: an attachable overlay
        # is not listed on a swarm worker until something attaches to it, so looking it up first fails
        engine_call(
            client.api.connect_container_to_network, container.id, full, aliases=[name],
            what=f"connect {name} to {net}",
        )  # fmt: skip
    if c.networks[1:]:  # create_and_start inspected it before these networks were added
        engine_call(container.reload, what=f"inspect {name}")
    return container


def bring_up(engine: Engine, spec: Topology, name: str | None = None) -> LabHandle:
    client = engine.client
    lab = LabHandle(name or f"lab-{uuid.uuid4().hex[:8]}")
    try:
        for vname, v in spec.volumes.items():
            lab.volumes[vname] = create_volume(client, lab.name, vname, v, {})
        for nname, n in spec.networks.items():
            lab.networks[nname] = create_network(engine, lab.name, nname, n, {})
        for level in spec.order():
            for cname in level:
                lab.containers[cname] = create_container(
                    client, lab.name, spec, cname, spec.containers[cname], {}
                )
    except BaseException:
        remove_lab(client, lab.name)
        raise
    return lab


def remove_lab(client: docker.DockerClient, name: str) -> Removed:
    return remove_owned(client, lab=name, volumes=True)
