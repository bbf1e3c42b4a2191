"""`prove memory|cpu|io`: limits shown by behaviour on throwaway twins, with measured numbers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dockerctl.apply.containers import ensure_image_local, get
from dockerctl.apply.preflight import preflight_limits
from dockerctl.checks.limits import asked_of, check_limits
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import InvalidInput
from dockerctl.jsonout import Jsonable
from dockerctl.observe.devices import device_of_directory
from dockerctl.prove.cpu import prove_cpu
from dockerctl.prove.io import prove_io
from dockerctl.prove.memory import prove_memory
from dockerctl.prove.twins import Twins, twins_of
from dockerctl.spec.fields import FIELDS, THROTTLE_KINDS
from dockerctl.spec.models import BASE_IMAGE, DeviceRate, Limits
from dockerctl.verify.verdict import Check, Verdict

PROOFS = ("memory", "cpu", "io")


@dataclass
class ProofReport(Jsonable):
    JSON = "proof=kind limits_from=subject ok checks"

    kind: str
    subject: str  # what the limits came from
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


def _weight_twin(twins: Twins, limits: Limits) -> Check:
    """Seed R5: does the kernel hold a block-IO weight at all? A twin with the weight tells."""
    asked = Limits(blkio_weight=limits.blkio_weight)
    twin = twins.start(asked, ["sleep", "60"])
    checks, _ = check_limits(twins.host, twin, asked)
    weight = next(c for c in checks if c.subject == "blkio weight")
    if not weight.ok:
        return replace(
            weight,
            subject=f"blkio weight {limits.blkio_weight} (behaviour)",
            note=f"not proved: {weight.note or weight.verdict}",
        )
    return Check(
        f"blkio weight {limits.blkio_weight} (behaviour)",
        FIELDS["blkio_weight"].claim,
        str(limits.blkio_weight),
        weight.observed,
        Verdict.UNKNOWN,
        weight.evidence,
        "the kernel holds the weight; a behaviour proof needs competing direct writers on a disk "
        "whose scheduler is bfq and is not made here",
    )


def prove(
    engine: Engine,
    kind: str,
    *,
    container: str | None = None,
    limits: Limits | None = None,
    shares: tuple[int, int] = (1024, 512),
    seconds: float = 4.0,
    tolerance: float | None = None,
) -> ProofReport:
    """Run one proof on throwaway twins with the limits of `container`, or with `limits`."""
    if kind not in PROOFS:
        raise InvalidInput(f"unknown proof {kind!r}; choose memory, cpu or io", where="KIND")
    subject = "flags"
    if container is not None:
        target = get(engine.client, container)
        limits, source = asked_of(target)
        subject = f"container {target.name} ({source}); run on throwaway twins"
        if kind == "cpu":
            shares = (limits.cpu_shares or 1024, 1024)
    limits = limits or Limits()
    if container is None and kind == "memory" and not limits.memory:
        limits = Limits(memory=32 * 1024 * 1024, memory_swap=32 * 1024 * 1024)
    if container is None and kind == "io" and not any(getattr(limits, k) for k in THROTTLE_KINDS):
        info = engine_call(engine.client.info, what="read the engine info")
        root = info.get("DockerRootDir", "/var/lib/docker")
        disk = device_of_directory(engine.host, root)
        if disk is None:
            raise InvalidInput(
                f"the engine's data root {root} is not on a block device: give --device-write-bps"
            )
        limits = limits.model_copy(
            update={"device_write_bps": (DeviceRate(path=disk, rate=10 * 1024 * 1024),)}
        )
    preflight_limits(engine.host, limits)
    ensure_image_local(engine.client, BASE_IMAGE)
    report = ProofReport(kind, subject)
    with twins_of(engine) as twins:
        if kind == "memory":
            report.checks = prove_memory(twins, limits)
        elif kind == "cpu":
            report.checks = prove_cpu(
                twins,
                shares[0],
                shares[1],
                seconds=seconds,
                tolerance=0.25 if tolerance is None else tolerance,
            )
        else:
            report.checks = prove_io(twins, limits, tolerance=0.10 if tolerance is None else tolerance)
            if limits.blkio_weight:
                report.checks.append(_weight_twin(twins, limits))
    return report
