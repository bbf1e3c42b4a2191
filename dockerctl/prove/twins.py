"""Throwaway twins a proof runs in (never the user's container), and running a command to its end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from docker.models.containers import Container

from dockerctl.apply.cleanup import remove_owned
from dockerctl.apply.containers import create_and_start
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned
from dockerctl.errors import EngineError
from dockerctl.spec.models import BASE_IMAGE, ContainerSpec, Limits
from dockerctl.spec.mounts import MountSpec
from dockerctl.spec.network import PortSpec


@dataclass(frozen=True)
class Finished:
    exit_code: int
    oom_killed: bool
    output: str


class Twins:
    """Containers and volumes of one proof on one engine, all under one lab label, removed together."""

    def __init__(self, engine: Engine, image: str = BASE_IMAGE) -> None:
        self.engine = engine
        self.client = engine.client
        self.host = engine.host
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
def twins_of(engine: Engine, image: str = BASE_IMAGE) -> Iterator[Twins]:
    lab = Twins(engine, image)
    try:
        yield lab
    finally:
        lab.close()
