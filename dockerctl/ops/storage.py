"""`mounts`, `volume-container create`, `vol compare`: storage as the kernel has it (seed S1–S8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docker.models.containers import Container
from docker.types import Mount

from dockerctl.apply.containers import create_and_start, ensure_image_local, get
from dockerctl.apply.images import build_image, data_image_context
from dockerctl.apply.preflight import preflight_mounts
from dockerctl.checks.mounts import mount_rows, write_probe_check
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned
from dockerctl.errors import InvalidInput
from dockerctl.prove.storage import compare
from dockerctl.prove.twins import twins_of
from dockerctl.spec.models import BASE_IMAGE, ContainerSpec
from dockerctl.spec.mounts import MountSpec, check_target
from dockerctl.verify.checks import Check


@dataclass
class MountsReport:
    container_id: str
    name: str
    storage_driver: str
    rows: list[Any] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": {"id": self.container_id, "name": self.name},
            "storage_driver": self.storage_driver,
            "mounts": [r.to_dict() for r in self.rows],
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


def mounts_report(
    engine: Engine, ref: str, *, include_pseudo: bool = False, prove: bool = False
) -> MountsReport:
    container = get(engine.client, ref)
    rows = mount_rows(engine.host, container, include_pseudo=include_pseudo)
    report = MountsReport(container.id, container.name, str(container.attrs.get("Driver", "")), rows)
    if prove:
        report.checks = [write_probe_check(container, r) for r in rows if r.kind in ("volume", "bind")]
    return report


def create_volume_container(
    engine: Engine,
    name: str,
    mounts: list[Any],
    *,
    data_dir: Path | None = None,
    data_path: str = "/data",
    lab: str | None = None,
) -> Container:
    """Seed S8: a volume container — created, never started — whose volumes others take with
    --volumes-from. With `data_dir`, a data-packed one: an image built locally from the base image with
    the data under a VOLUME; its volume (labelled) starts as a copy of that data."""
    client = engine.client
    image = BASE_IMAGE
    extra: dict[str, Any] = {}
    if data_dir is not None:
        if not data_dir.is_dir():
            raise InvalidInput(f"{data_dir} is not a directory", where="--from-dir")
        check_target(data_path, "mounts")
        image = f"dockerctl/data-{name}:latest"
        build_image(
            client, image, data_image_context(data_dir, data_path), "data", what=f"build data image {image}"
        )
        # the image's VOLUME, satisfied by an anonymous volume that carries dockerctl's labels
        extra["mounts"] = [Mount(data_path, None, type="volume", labels=owned(lab))]
    spec = ContainerSpec(
        image=image,
        command=["true"],
        name=name,
        lab=lab,
        mounts=tuple(m for m in mounts if isinstance(m, MountSpec)),
    )
    preflight_mounts(engine, spec, allow_engine_socket=False)
    if not spec.mounts and data_dir is None:
        raise InvalidInput("a volume container needs at least one -v (or --from-dir)", where="-v")
    return create_and_start(client, spec, extra, start=False)


@dataclass
class CompareReport:
    rows: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows]}


def compare_storage(engine: Engine) -> CompareReport:
    """Seed S3/S7 from experiments, in throwaway labelled containers and volumes removed afterwards."""
    if engine.host.kind not in ("local", "netns"):
        raise InvalidInput(
            f"vol compare makes bind directories on this machine; the engine at {engine.url} runs elsewhere",
            where="-H/--host",
        )
    ensure_image_local(engine.client, BASE_IMAGE)
    with twins_of(engine) as twins:
        return CompareReport(compare(twins))
