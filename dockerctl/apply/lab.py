"""Bring a LabSpec up on the engine, and down again: volumes, then networks, then containers.

Every resource carries the lab's labels. A failure half-way (or Ctrl-C) removes what this bring-up
made, so nothing is orphaned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.models.containers import Container
from docker.models.networks import Network
from docker.models.volumes import Volume
from docker.types import IPAMConfig, IPAMPool

from dockerctl.apply.cleanup import Removed, remove_owned
from dockerctl.apply.client import engine_call
from dockerctl.apply.containers import create_and_start
from dockerctl.apply.labels import owned
from dockerctl.spec.lab import BUILTIN_NETWORKS, LabSpec
from dockerctl.spec.models import ContainerSpec


@dataclass
class Lab:
    """Handles to a running lab's resources, by the lab's own names."""

    name: str
    containers: dict[str, Container] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Container:
        return self.containers[name]


def _mounts(lab: str, entries: list[str]) -> list[str]:
    """docker-py's list form ("src:dst:mode"): one volume may be mounted at several paths."""
    out = []
    for entry in entries:
        source, target, *rest = entry.split(":")
        mode = "ro" if rest and rest[0] == "ro" else "rw"
        out.append(f"{source if source.startswith('/') else f'{lab}-{source}'}:{target}:{mode}")
    return out


def bring_up(client: docker.DockerClient, spec: LabSpec, name: str | None = None) -> Lab:
    lab = Lab(name or f"lab-{uuid.uuid4().hex[:8]}")
    try:
        for vname, v in spec.volumes.items():
            lab.volumes[vname] = engine_call(
                client.volumes.create,
                name=f"{lab.name}-{vname}",
                driver=v.driver,
                labels=owned(lab.name),
                what=f"create volume {vname}",
            )
        for nname, n in spec.networks.items():
            ipam = (
                IPAMConfig(pool_configs=[IPAMPool(subnet=n.subnet, gateway=n.gateway)]) if n.subnet else None
            )
            lab.networks[nname] = engine_call(
                client.networks.create,
                f"{lab.name}-{nname}",
                driver=n.driver,
                ipam=ipam,
                internal=n.internal,
                labels=owned(lab.name),
                check_duplicate=True,
                what=f"create network {nname}",
            )
        for cname, c in spec.containers.items():
            extra: dict[str, Any] = {"volumes": _mounts(lab.name, c.volumes)}
            nets = [lab.networks[n].name if n in lab.networks else n for n in c.networks]
            if nets:
                extra["network"] = nets[0]
                if nets[0] not in BUILTIN_NETWORKS:
                    extra["networking_config"] = {nets[0]: client.api.create_endpoint_config(aliases=[cname])}
            cspec = ContainerSpec(
                image=c.image,
                command=c.argv(),
                name=f"{lab.name}-{cname}",
                limits=c.limits(f"containers.{cname}"),
                lab=lab.name,
            )
            container = create_and_start(client, cspec, extra)
            for net in c.networks[1:]:
                engine_call(
                    lab.networks[net].connect, container, aliases=[cname], what=f"connect {cname} to {net}"
                )
            engine_call(container.reload, what=f"inspect {cname}")
            lab.containers[cname] = container
    except BaseException:
        tear_down(client, lab.name)
        raise
    return lab


def tear_down(client: docker.DockerClient, name: str) -> Removed:
    return remove_owned(client, lab=name, volumes=True)
