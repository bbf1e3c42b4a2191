"""The throwaway lab a proof runs in, and running a command in a container to its end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.apply.cleanup import remove_owned
from dockerctl.apply.client import engine_call
from dockerctl.apply.containers import create_and_start
from dockerctl.apply.labels import owned
from dockerctl.errors import EngineError
from dockerctl.lab.images import BASE_IMAGE
from dockerctl.spec.models import ContainerSpec, Limits
from dockerctl.spec.mounts import MountSpec
from dockerctl.spec.network import PortSpec


@dataclass(frozen=True)
class Finished:
    exit_code: int
    oom_killed: bool
    output: str


class ProofLab:
    """Containers and volumes of one proof, all under one lab label, removed together."""

    def __init__(self, client: docker.DockerClient, image: str = BASE_IMAGE) -> None:
        self.client = client
        self.image = image
        self.name = f"prove-{uuid.uuid4().hex[:10]}"

    def start(
        self,
        limits: Limits,
        command: list[str],
        extra: dict[str, Any] | None = None,
        *,
        mounts: tuple[MountSpec, ...] = (),
        image: str | None = None,
        publish: tuple[PortSpec, ...] = (),
        network: str | None = None,
    ) -> Container:
        spec = ContainerSpec(
            image=image or self.image,
            command=command,
            limits=limits,
            lab=self.name,
            mounts=mounts,
            publish=publish,
            network=network,
        )
        return create_and_start(self.client, spec, extra)

    def volume(self) -> str:
        vol = engine_call(self.client.volumes.create, labels=owned(self.name), what="create a proof volume")
        return str(vol.name)

    def run(
        self,
        limits: Limits,
        command: list[str],
        extra: dict[str, Any] | None = None,
        timeout: float = 120,
        *,
        mounts: tuple[MountSpec, ...] = (),
        image: str | None = None,
    ) -> Finished:
        container = self.start(limits, command, extra, mounts=mounts, image=image)
        try:
            result = container.wait(timeout=timeout)
        except Exception as exc:  # a proof that hangs is a failed proof, not a hung tool
            raise EngineError(f"proof container {container.name} did not finish within {timeout:g}s") from exc
        container.reload()
        state = container.attrs.get("State") or {}
        logs = container.logs(stdout=True, stderr=True).decode(errors="replace")
        return Finished(
            int(result.get("StatusCode", state.get("ExitCode", -1))), bool(state.get("OOMKilled")), logs
        )

    def close(self) -> None:
        remove_owned(self.client, lab=self.name, volumes=True)


@contextmanager
def proof_lab(client: docker.DockerClient, image: str = BASE_IMAGE) -> Iterator[ProofLab]:
    lab = ProofLab(client, image)
    try:
        yield lab
    finally:
        lab.close()
