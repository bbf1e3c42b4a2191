"""`mounts`, `volume-container create`, `vol compare`: storage as the kernel has it (seed S1–S8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docker.models.containers import Container
from docker.types import Mount

from dockerctl.apply.containers import create_and_start, ensure_image_local, get
from dockerctl.apply.images import build_image, data_image_context
from dockerctl.apply.preflight import preflight_mounts
from dockerctl.checks.mounts import mount_rows, write_probe_check
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned
from dockerctl.errors import InvalidInput
from dockerctl.jsonout import RowsReport
from dockerctl.spec.gluster import GLUSTER_DRIVER
from dockerctl.spec.models import BASE_IMAGE, ContainerSpec
from dockerctl.spec.mounts import MountSpec, check_target
from dockerctl.verify.verdict import Check

if TYPE_CHECKING:  # the proofs (twins, writes) are loaded by `vol compare` only, never by `mounts`
    from dockerctl.prove.twins import Twins


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
class CompareReport(RowsReport[Any]):
    JSON = "rows"

    @property
    def ok(self) -> bool:
        return bool(self.rows)


def compare_storage(
    engine: Engine, *, across_hosts: bool = True, progress: Callable[[str], None] | None = None
) -> CompareReport:
    """Seed S3/S7 from experiments, in throwaway labelled containers and volumes removed afterwards;
    with across_hosts, a third column from a storage pool's volume (V1, V2) on two simulated hosts
    that it brings up for the purpose and removes again."""
    if not engine.host.local_files:
        raise InvalidInput(
            f"vol compare makes bind directories on this machine; the engine at {engine.url} runs elsewhere",
            where="-H/--host",
        )
    ensure_image_local(engine.client, BASE_IMAGE)
    from dockerctl.prove.storage import compare
    from dockerctl.prove.twins import twins_of

    with twins_of(engine) as twins:
        rows = compare(twins)
        if across_hosts:
            cells = _across_hosts(engine, twins, progress or (lambda _m: None))
            rows = [
                replace(r, across=cells[r.property][0], across_evidence=cells[r.property][1])
                if r.property in cells
                else r
                for r in rows
            ]
        return CompareReport(rows)


COMPARE_LAB = "vol-compare"
_COMPARE_PLAYBOOK = f"""version: 1
name: {COMPARE_LAB}
hosts: {{vcmp1: {{kind: simulated}}, vcmp2: {{kind: simulated}}}}
switch: {{subnet: 198.18.108.0/24}}
storage: {{hosts: [vcmp1, vcmp2]}}
"""


def _across_hosts(local: Engine, twins: Twins, say: Callable[[str], None]) -> dict[str, tuple[str, str]]:
    import tempfile

    from dockerctl.engines.engine import connect_engine
    from dockerctl.engines.transfer import ship_image
    from dockerctl.hosts import NetnsHost
    from dockerctl.hosts.paths import write_atomic
    from dockerctl.ops.down import down
    from dockerctl.ops.hosts import hosts_up
    from dockerctl.prove.storage import across_hosts, probe_image
    from dockerctl.prove.twins import twins_of

    image = probe_image(twins)
    engines: list[Engine] = []
    with tempfile.TemporaryDirectory(prefix="dockerctl-compare-") as tmp:
        path = Path(tmp) / "compare.yaml"
        write_atomic(path, _COMPARE_PLAYBOOK)
        try:
            say("a storage pool across two simulated hosts")
            report = hosts_up(local, path, progress=say)
            for row in report.rows:
                e = connect_engine(row.url, name=row.name)
                engines.append(Engine(row.name, e.client, NetnsHost(row.name), e.url))
                ship_image(local.client, e.client, image)
            first, second = engines
            vol = engine_call(
                first.client.volumes.create,
                name=f"{COMPARE_LAB}-across",
                driver=GLUSTER_DRIVER,
                driver_opts={"size": "0.05"},
                labels=owned(COMPARE_LAB),
                what="create a volume of the storage pool",
            )
            got = engine_call(first.client.volumes.get, vol.name, what="inspect the pool's volume")
            status = got.attrs.get("Status") or {}  # the driver's Get: size, replica, bricks
            say("the experiments across hosts")
            with twins_of(first) as t1, twins_of(second) as t2:
                return across_hosts(t1, t2, str(vol.name), status)
        finally:
            for e in engines:
                e.close()
            down(local, COMPARE_LAB, volumes=True)
