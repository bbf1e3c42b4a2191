"""Limits as plain values: every limit's field, docker's rules for its values and what follows from them
(2 × memory for an unset memory+swap, NanoCpus, the engine's bodies) — with no validation library.

The read path (`dockerctl limits C`) builds these from a container's label or its HostConfig on every
run, and importing pydantic (and building its model) cost more than the rest of that command's own code
(issue 38). `spec/models.py`'s `Limits`, which validates what people write (flags, playbooks, compose
files), is these same fields and rules with pydantic's coercion and errors on top: it inherits them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Any

from dockerctl.errors import InvalidInput
from dockerctl.spec.fields import FIELDS, LIMIT_FIELDS, THROTTLE_KINDS
from dockerctl.spec.units import UNLIMITED, format_bytes

# The engine refuses smaller memory limits ("Minimum memory limit allowed is 6MB", measured on 20.10).
MIN_MEMORY = 6 * 1024 * 1024
_CPUSET = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*\Z")
MIN_SHARES, MAX_SHARES = 2, 262144  # the kernel's (and runc's) range for cpu.shares
CPU_IDS = 8192  # the kernel's largest NR_CPUS: no CPU number reaches it, no host has more CPUs
INT64_MAX = 2**63 - 1  # the engine's sizes, counts and rates are Go int64s


def cpuset_members(text: str, cpus: int = CPU_IDS) -> frozenset[int]:
    """'0-2,4' → {0, 1, 2, 4} (the kernel's list format); raises ValueError when malformed or when a CPU
    is not below `cpus` (checked before any range is expanded: `0-99999999999` is refused, not built)."""
    text = text.strip()
    if not text:
        return frozenset()
    if len(text) > 4096 or not _CPUSET.match(text):
        raise ValueError(f"invalid CPU list {text[:64]!r}")
    parts: list[tuple[int, int]] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if max(len(lo), len(hi)) > 6:
            raise ValueError(
                f"CPU {max(lo, hi, key=len)[:20]} is beyond the {cpus} CPU(s) here (0-{cpus - 1})"
            )
        first, last = int(lo), int(hi or lo)
        if last < first:
            raise ValueError(f"invalid CPU range {part!r}")
        if last >= cpus:
            raise ValueError(f"CPU {last} is beyond the {cpus} CPU(s) here (0-{cpus - 1})")
        parts.append((first, last))
    return frozenset(c for first, last in parts for c in range(first, last + 1))


@dataclass(frozen=True)
class DeviceRateValue:
    """One `--device-*-bps` / `--device-*-iops` entry: a host block device and its rate."""

    path: str
    rate: int


@dataclass(frozen=True)
class LimitValues:
    """Every limit of the course (seed R1–R7) plus --cpus, --cpuset-cpus and --pids-limit,
    each with `docker run`'s meaning of its values.

    memory: bytes, None when not set (0 from the CLI also means "not set", as in docker).
    memory_swap: memory + swap in bytes, -1 for unlimited swap, None/0 when not set.
    cpu_shares: relative weight (2–262144), None/0 when not set (the kernel's default is 1024).
    cpus: number of CPUs of quota (NanoCpus / 1e9), None when not set.
    cpuset_cpus: CPU list like '0-1,3', None when not set.
    pids_limit: positive count, -1 for unlimited, None/0 when not set.
    blkio_weight: 10–1000, None/0 when not set.
    device_*: one rate per host block device.

    Built as it is, nothing is checked (HostConfig read back: the engine already took it); `recorded()`
    checks what a label or record says by `check_rules()`, the rules `Limits` validates with.
    """

    memory: int | None = None
    memory_swap: int | None = None
    cpu_shares: int | None = None
    cpus: float | None = None
    cpuset_cpus: str | None = None
    pids_limit: int | None = None
    blkio_weight: int | None = None
    device_read_bps: tuple[DeviceRateValue, ...] = ()
    device_write_bps: tuple[DeviceRateValue, ...] = ()
    device_read_iops: tuple[DeviceRateValue, ...] = ()
    device_write_iops: tuple[DeviceRateValue, ...] = ()

    def check_rules(self) -> None:
        """docker's rules for the values (InvalidInput naming the field of the first one broken)."""
        self._check_memory()
        if self.cpu_shares and not MIN_SHARES <= self.cpu_shares <= MAX_SHARES:
            raise InvalidInput(
                f"CPU shares must be between {MIN_SHARES} and {MAX_SHARES} (the kernel's range), "
                f"got {self.cpu_shares}; the default weight is 1024 (seed R4)",
                field="cpu_shares",
            )
        if self.cpus is not None and not (math.isfinite(self.cpus) and 0.01 <= self.cpus <= CPU_IDS):
            raise InvalidInput(
                f"--cpus must be a finite number of CPUs, at least 0.01 and at most the host's, got {self.cpus}",
                field="cpus",
            )
        if self.cpuset_cpus is not None:
            try:
                cpuset_members(self.cpuset_cpus)
            except ValueError as exc:
                raise InvalidInput(f"{exc}; expected e.g. 0, 0-1 or 0,2", field="cpuset_cpus") from None
        if self.pids_limit is not None and self.pids_limit > INT64_MAX:
            raise InvalidInput(
                f"pids limit {self.pids_limit} is beyond the engine's int64: give a count such as 100",
                field="pids_limit",
            )
        if self.pids_limit is not None and self.pids_limit < -1:
            raise InvalidInput(
                f"pids limit must be positive, or -1 for unlimited, got {self.pids_limit}", field="pids_limit"
            )
        if self.blkio_weight and not 10 <= self.blkio_weight <= 1000:
            raise InvalidInput(
                f"block-IO weight must be between 10 and 1000, got {self.blkio_weight} (seed R5)",
                field="blkio_weight",
            )
        for kind in THROTTLE_KINDS:
            seen: set[str] = set()
            for entry in getattr(self, kind):
                if entry.rate <= 0:
                    raise InvalidInput(f"rate must be greater than 0 for {entry.path}", field=kind)
                if entry.rate > INT64_MAX:
                    raise InvalidInput(
                        f"rate {entry.rate} for {entry.path} is beyond the engine's int64 (at most {INT64_MAX})",
                        field=kind,
                    )
                if entry.path in seen:
                    raise InvalidInput(f"{entry.path} is given twice", field=kind)
                seen.add(entry.path)

    def _check_memory(self) -> None:
        for name in ("memory", "memory_swap"):
            value = getattr(self, name)
            if value is not None and value > INT64_MAX:
                raise InvalidInput(
                    f"{value} bytes is beyond the engine's int64 (at most {INT64_MAX}): give a size such as 100M",
                    field=name,
                )
        if self.memory is not None and self.memory < 0:
            raise InvalidInput("memory limit cannot be negative", field="memory")
        if self.memory is not None and 0 < self.memory < MIN_MEMORY:
            raise InvalidInput(
                f"{format_bytes(self.memory)} is below the engine's minimum memory limit of 6MB",
                field="memory",
                hint="use at least 6m",
            )
        swap = self.memory_swap
        if swap is not None and swap not in (0, UNLIMITED):  # 0 means unset, as in docker
            if swap < 0:
                raise InvalidInput("memory+swap must be a size or -1 (unlimited)", field="memory_swap")
            if not self.memory:
                raise InvalidInput(
                    "--memory-swap needs -m/--memory as well: it limits memory plus swap (seed R2)",
                    field="memory_swap",
                )
            if swap < self.memory:
                raise InvalidInput(
                    f"memory+swap {format_bytes(swap)} is smaller than the memory limit "
                    f"{format_bytes(self.memory)}; give at least the memory limit (equal means no swap)",
                    field="memory_swap",
                )

    @property
    def effective_memory(self) -> int | None:
        """The memory limit the kernel should hold, None for unlimited."""
        return self.memory or None

    @property
    def effective_memory_swap(self) -> int | None:
        """Memory + swap the kernel should hold, None for unlimited (seed R3: 2 × memory when unset)."""
        if not self.memory:
            return None
        if self.memory_swap == UNLIMITED:
            return None
        if not self.memory_swap:
            return 2 * self.memory
        return self.memory_swap

    @property
    def nano_cpus(self) -> int | None:
        return round(self.cpus * 1e9) if self.cpus else None

    def asked(self) -> dict[str, Any]:
        """The fields that were set, JSON-ready (recorded on the container as labels.REQUESTED), in the
        fields' order: what `Limits.asked()` (pydantic's dump) gives for the same values."""
        out: dict[str, Any] = {}
        for f in fields(LimitValues):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = (
                    [{"path": e.path, "rate": e.rate} for e in value] if f.name in THROTTLE_KINDS else value
                )
        return out

    def _api_value(self, field: str) -> Any:
        """Limit `field` as the engine takes it: --cpus as NanoCpus, a device throttle as a list of
        {"Path", "Rate"} ([] when none), the others as they are (None when not set)."""
        if field == "cpus":
            return self.nano_cpus
        value = getattr(self, field)
        if field in THROTTLE_KINDS:
            return [{"Path": e.path, "Rate": e.rate} for e in value]
        return value

    def host_config(self) -> dict[str, Any]:
        """docker-py `containers.create` keyword arguments (the table's docker_py names); unset values (and
        0, docker's "not set") keep the engine's defaults."""
        out: dict[str, Any] = {}
        for name in LIMIT_FIELDS:
            value = self._api_value(name)
            if value is not None and value != 0 and value != []:
                out[FIELDS[name].docker_py] = value
        return out

    def engine_resources(self) -> dict[str, Any]:
        """The engine API's `Resources` body (POST /containers/{id}/update) for the fields set (the table's
        HostConfig keys)."""
        body: dict[str, Any] = {}
        for name in LIMIT_FIELDS:
            value = self._api_value(name)
            if value is not None and value != []:
                body[FIELDS[name].host_config] = value
        return body


# each field's declared type, as written above ("int | None" …): what a recorded value must be
_DECLARED: dict[str, object] = {f.name: f.type for f in fields(LimitValues)}


def _plain(name: str, value: Any) -> Any:
    """`value` of field `name` as `Limits` would hold it, or LookupError when it is not exactly what
    `Limits.asked()` writes (an unknown field, a bool, a number in a string, an odd device entry …)."""
    declared = _DECLARED.get(name)
    if value is None and declared is not None:
        return None
    kind = type(value)
    if (declared, kind) in (("int | None", int), ("str | None", str), ("float | None", float)):
        return value
    if declared == "float | None" and kind is int:
        return float(value)  # as pydantic's float field makes of it
    if name in THROTTLE_KINDS and kind is list:
        entries = []
        for e in value:
            if type(e) is not dict or set(e) != {"path", "rate"}:
                raise LookupError(name)
            if type(e["path"]) is not str or type(e["rate"]) is not int:
                raise LookupError(name)
            entries.append(DeviceRateValue(e["path"], e["rate"]))
        return tuple(entries)
    raise LookupError(name)


def recorded(values: dict[str, Any]) -> LimitValues:
    """What a label or an update record says was asked (`Limits.asked()` as it was written) → its limits,
    held to the same rules as when they were asked (InvalidInput naming the field otherwise).

    dockerctl wrote them, so every value is what `_plain` takes, and no validation library is loaded.
    Anything else (a hand-made label, a record from another version) goes through the pydantic model,
    whose coercion and errors then apply exactly as they always did."""
    try:
        plain = LimitValues(**{name: _plain(name, value) for name, value in values.items()})
    except LookupError:
        from dockerctl.spec.models import Limits  # only here: pydantic costs ~0.1 s to import

        return Limits(**values)
    plain.check_rules()
    return plain
