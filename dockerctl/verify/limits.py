"""Every limit: what was asked vs what the kernel holds (seed R1–R7, K1). Pure: no engine, no I/O.

cgroup v2 stores some settings converted, and runtimes disagree on how: cpu.weight from CPU shares
has an older linear formula (1024 → 39) and a newer one (1024 → 100, opencontainers/runc#4785); a
block-IO weight goes unconverted into io.bfq.weight when that file exists, else converted into
io.weight. A kernel value that matches any formula a runtime uses is enforced, and the check says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dockerctl.observe.cgroup import (
    Reading,
    parse_cpu_max,
    parse_io_max,
    parse_throttle_v1,
    parse_weight,
)
from dockerctl.observe.devices import BlockDevice
from dockerctl.observe.limits import ControllerFiles, KernelLimits
from dockerctl.spec.fields import FIELDS, IO_MAX_KEYS, SUBJECTS, THROTTLE_KINDS
from dockerctl.spec.limit_values import LimitValues, cpuset_members
from dockerctl.spec.units import format_bytes
from dockerctl.verify.verdict import Check, Verdict, limit_value, verify_memory

DEFAULT_SHARES = 1024  # the kernel's default cpu.shares (seed claim of the cpu_shares row)
SHARES = FIELDS["cpu_shares"]
CPUS = FIELDS["cpus"]
WEIGHT = FIELDS["blkio_weight"]
THROTTLES, PER_DEVICE = FIELDS[THROTTLE_KINDS[0]].claims  # the throttles as a whole; each device's rate


def select(checks: list[Check], fields: Iterable[str]) -> list[Check]:
    """The checks that report on `fields` (limit field names), in their original order."""
    fields = list(fields)
    subjects = {SUBJECTS[f] for f in fields if f in SUBJECTS}
    throttles = tuple(FIELDS[f].subject for f in fields if f in THROTTLE_KINDS)
    return [
        c for c in checks if c.subject in subjects or (bool(throttles) and c.subject.startswith(throttles))
    ]


V2_DEFAULT_WEIGHT = 100


def shares_to_weight_linear(shares: int) -> int:
    """runc before opencontainers/runc#4785: 1 + ((shares − 2) × 9999) / 262142 (1024 → 39)."""
    return 1 + ((shares - 2) * 9999) // 262142


def shares_to_weight_quadratic(shares: int) -> int:
    """runc after opencontainers/runc#4785 (and crun): fits 2 → 1, 1024 → 100, 262144 → 10000."""
    if shares <= 2:
        return 1
    if shares >= 262144:
        return 10000
    log = math.log2(shares)
    return math.ceil(10 ** ((log * log + 125 * log) / 612.0 - 7.0 / 34.0))


def blkio_to_io_weight(weight: int) -> int:
    """runc's conversion of a blkio weight (10–1000) to io.weight (1–10000)."""
    return 1 + (weight - 10) * 9999 // 990


def io_to_blkio_weight(weight: int) -> int:
    """The blkio weight runc converted into io.weight `weight`: blkio_to_io_weight grows by more than 1
    per step, so each io.weight it writes comes from exactly one blkio weight, and this finds it."""
    return 10 + -(-(weight - 1) * 990 // 9999)


def weight_to_shares(weight: int) -> int:
    """cAdvisor's CPU shares for a cgroup v2 cpu.weight (container_spec_cpu_shares): the inverse of runc's
    linear conversion, 2 + (weight − 1) × 262142 / 9999. Shares → weight loses precision, so this only
    approximates the shares asked (the linear 39 reads as 998, not 1024)."""
    return 2 + (weight - 1) * 262142 // 9999


def _identity(value: int) -> int:
    return value


def _unknown(
    subject: str, claim: str, desired: str, why: str, evidence: str = "", value: float | None = None
) -> Check:
    """A limit whose kernel file could not be read; `value`: the figure asked, when there is one."""
    return Check(subject, claim, desired, "unreadable", Verdict.UNKNOWN, evidence, why, desired_value=value)


def _check_cpu_shares(asked: LimitValues, cpu: ControllerFiles, engine: str) -> Check:
    shares = asked.cpu_shares or None
    want = shares or DEFAULT_SHARES
    desired = f"{shares}" if shares else f"{DEFAULT_SHARES} (default)"
    r = cpu.of(SHARES.name)
    observed = int(r.text)
    if cpu.version == 1:
        verdict = Verdict.ENFORCED if observed == want else Verdict.MISMATCH
        return Check(
            SHARES.subject, SHARES.claim, desired, str(observed), verdict, r.path, engine=engine,
            desired_value=want, observed_value=observed,
        )  # fmt: skip
    weight = f"{SHARES.file(2)} {observed}"
    if not shares:
        note = "v2 default weight is 100"
        verdict = Verdict.ENFORCED if observed == V2_DEFAULT_WEIGHT else Verdict.MISMATCH
    else:
        linear, quadratic = shares_to_weight_linear(shares), shares_to_weight_quadratic(shares)
        formulas = {
            linear: "linear shares→weight conversion of older runc",
            quadratic: "quadratic shares→weight conversion of newer runc (runc#4785)",
        }
        known = formulas.get(observed)
        verdict = Verdict.ENFORCED if known else Verdict.MISMATCH
        expected = " or ".join(str(w) for w in formulas)
        note = f"matches the {known}" if known else f"expected {SHARES.file(2)} {expected}"
    # the weight is the asked shares' own (no inverse gets them back exactly), else cAdvisor's reading
    held = want if verdict is Verdict.ENFORCED else weight_to_shares(observed)
    return Check(
        SHARES.subject, SHARES.claim, desired, weight, verdict, r.path, note, engine,
        desired_value=want, observed_value=held,
    )  # fmt: skip


def _check_cpus(asked: LimitValues, cpu: ControllerFiles, engine: str) -> Check:
    nano = asked.nano_cpus
    desired = f"{asked.cpus:g} CPUs" if nano else "unlimited"
    if cpu.version == 1:
        q, per = cpu.of(CPUS.name), *cpu.beside(CPUS.name)
        quota, period = int(q.text), int(per.text)
        evidence = f"{q.path}, {per.path}"
        quota_or_none = None if quota < 0 else quota
    else:
        m = cpu.of(CPUS.name)
        quota_or_none, period = parse_cpu_max(m.text)
        evidence = m.path
    observed = (
        "unlimited"
        if quota_or_none is None
        else f"{quota_or_none}/{period} µs = {quota_or_none / period:g} CPUs"
    )
    if nano is None:
        verdict = Verdict.UNLIMITED if quota_or_none is None else Verdict.MISMATCH
    else:
        verdict = Verdict.ENFORCED if quota_or_none == nano * period // 10**9 else Verdict.MISMATCH
    return Check(
        CPUS.subject, CPUS.claim, desired, observed, verdict, evidence, engine=engine,
        desired_value=limit_value(None if nano is None else nano / 10**9),
        observed_value=limit_value(None if quota_or_none is None else quota_or_none / period),
    )  # fmt: skip


def _check_cpuset(asked: LimitValues, cpuset: ControllerFiles, engine: str) -> Check:
    row = FIELDS["cpuset_cpus"]
    r = cpuset.of(row.name)
    observed = r.text or "(inherited)"
    # the figure is the number of CPUs in the set (cAdvisor exports none); an empty v2 cpuset.cpus
    # inherits its parent's, which the effective file read beside it holds
    (effective,) = cpuset.beside(row.name)
    count = _cpu_count(r.text or effective.text)
    if asked.cpuset_cpus is None:
        return Check(
            row.subject, row.claim, "all CPUs", observed, Verdict.UNLIMITED, r.path, engine=engine,
            observed_value=count,
        )  # fmt: skip
    members = cpuset_members(asked.cpuset_cpus)
    return Check(
        row.subject, row.claim, asked.cpuset_cpus, observed,
        Verdict.ENFORCED if cpuset_members(r.text) == members else Verdict.MISMATCH, r.path, engine=engine,
        desired_value=float(len(members)), observed_value=count,
    )  # fmt: skip


def _cpu_count(text: str) -> float | None:
    """How many CPUs a kernel CPU list names (None: none, or not a list)."""
    try:
        return float(len(cpuset_members(text))) or None
    except ValueError:
        return None


def _check_pids(asked: LimitValues, pids: ControllerFiles, engine: str) -> Check:
    row = FIELDS["pids_limit"]
    r = pids.of(row.name)
    want = asked.pids_limit if asked.pids_limit and asked.pids_limit > 0 else None
    have = r.as_limit()
    desired = str(want) if want else "unlimited"
    observed = str(have) if have is not None else "max"
    source = imposed_by(r.path) if want is None and have is not None else ""
    if source:
        verdict = Verdict.IMPOSED
    elif want is None:
        verdict = Verdict.UNLIMITED if have is None else Verdict.MISMATCH
    else:
        verdict = Verdict.ENFORCED if have == want else Verdict.MISMATCH
    return Check(
        row.subject, row.claim, desired, observed, verdict, r.path, source, engine,
        desired_value=limit_value(want), observed_value=limit_value(have),
    )  # fmt: skip


def imposed_by(path: str) -> str:
    """Who set a limit the container did not ask for, from where its cgroup lies ("" when unknown): under
    the systemd cgroup driver a container is the transient unit `docker-<id>.scope`, and systemd gives
    every unit its TasksMax (DefaultTasksMax: 15% of the kernel's thread limit) as pids.max."""
    unit = next((part for part in path.split("/") if part.endswith(".scope")), "")
    if not unit:
        return ""
    return (
        f"imposed by systemd: TasksMax of {unit} (DefaultTasksMax in system.conf), not asked by the container"
    )


def _check_blkio_weight(asked: LimitValues, blkio: ControllerFiles, engine: str) -> Check:
    weight = asked.blkio_weight or None
    desired = str(weight) if weight else "not set"
    # the bfq file (read beside the weight file) holds the weight unconverted, v2's io.weight converted
    own, *bfq = WEIGHT.files(blkio.version)
    convert_own: Callable[[int], int] = _identity if blkio.version == 1 else blkio_to_io_weight
    candidates = [(name, _identity) for name in bfq] + [(own, convert_own)]
    present = [(name, conv) for name, conv in candidates if blkio.get(name).present]
    looked = ", ".join(blkio.get(name).path for name, _ in candidates)
    if not present:
        if weight is None:
            return Check(
                WEIGHT.subject,
                WEIGHT.claim,
                desired,
                "no weight file",
                Verdict.UNLIMITED,
                "absent: " + looked,
                "not set (this kernel could not enforce it anyway)",
                engine,
                desired_value=weight,
            )
        return Check(
            WEIGHT.subject,
            WEIGHT.claim,
            desired,
            "no weight file",
            Verdict.NOT_ENFORCED,
            "absent: " + looked,
            "this kernel cannot enforce a block-IO weight; the engine accepted it and discarded it",
            engine,
            desired_value=weight,
        )
    name, convert = present[0]  # runc writes io.bfq.weight when it exists, else the converted io.weight
    r = blkio.get(name)
    default, _ = parse_weight(r.text)
    # the figure is a blkio weight (10–1000) whichever file holds it: io.weight's converted back
    held = None if default is None else default if convert is _identity else io_to_blkio_weight(default)
    if weight is None:
        return Check(
            WEIGHT.subject,
            WEIGHT.claim,
            desired,
            f"{name} default {default}",
            Verdict.UNLIMITED,
            r.path,
            "not set: the kernel's default applies",
            engine,
            # io.weight's default (100) is no blkio weight runc wrote: converted it would read as 20,
            # where v1's default is 500; no figure then, as for an unasked cpuset
            observed_value=held if convert is _identity else None,
        )
    if engine == "unset":
        return Check(
            WEIGHT.subject,
            WEIGHT.claim,
            desired,
            f"{name} default {default}",
            Verdict.NOT_ENFORCED,
            r.path,
            "the engine accepted the weight and discarded it (HostConfig.BlkioWeight is 0): "
            "it found no weight file at the blkio hierarchy's root",
            engine,
            desired_value=weight,
            observed_value=held,
        )
    want = convert(weight)
    verdict = Verdict.ENFORCED if default == want else Verdict.MISMATCH
    note = f"{name} holds {want} for weight {weight}" if want != weight else ""
    evidence = r.path
    if verdict is Verdict.ENFORCED and name == WEIGHT.file(2):
        # io.weight is acted on by the io cost controller only, and only for the devices the root's
        # io.cost.qos enables: a file holding the number is not a weight the kernel applies
        qos = blkio.readings.get(WEIGHT.v2_root)
        enabled = [
            line.split()[0] for line in (qos.text if qos else "").splitlines() if "enable=1" in line.split()
        ]
        evidence += f"; {qos.path if qos else WEIGHT.v2_root}"
        if not enabled:
            verdict = Verdict.NOT_ENFORCED
            shown = (
                "absent"
                if qos is None or not qos.present
                else ("empty" if not qos.text else "no device enabled")
            )
            note = (
                f"{name} holds {want} for weight {weight}, but the io cost controller that acts on io.weight "
                f"is on for no device ({WEIGHT.v2_root} {shown}): the weight has no effect here"
            )
        else:
            note += f"; the io cost controller acts on it for {', '.join(enabled)} ({WEIGHT.v2_root})"
    return Check(
        WEIGHT.subject, WEIGHT.claim, desired, f"{name} default {default}", verdict, evidence, note, engine,
        desired_value=weight, observed_value=held,
    )  # fmt: skip


def _throttle_values(blkio: ControllerFiles, kind: str) -> tuple[Reading, dict[str, int | None]]:
    r = blkio.of(kind)
    if blkio.version == 1:
        return r, dict(parse_throttle_v1(r.text)) if r.present else {}
    key = IO_MAX_KEYS[kind]
    values = {dev: v.get(key) for dev, v in parse_io_max(r.text).items()} if r.present else {}
    return r, {dev: v for dev, v in values.items() if v is not None}


def _fmt_rate(kind: str, value: int) -> str:
    return f"{value} ({format_bytes(value)}/s)" if kind.endswith("bps") else f"{value} IO/s"


def _check_throttles(
    asked: LimitValues,
    blkio: ControllerFiles,
    devices: Mapping[str, BlockDevice | str],
    engine: Mapping[str, str],
) -> list[Check]:
    checks: list[Check] = []
    for kind in THROTTLE_KINDS:
        flag = FIELDS[kind].flag
        reading, kernel = _throttle_values(blkio, kind)
        wanted: set[str] = set()
        for entry in getattr(asked, kind):
            dev = devices.get(entry.path)
            subject = f"{flag.lstrip('-')} {entry.path}"
            if not isinstance(dev, BlockDevice):
                checks.append(
                    _unknown(
                        subject, PER_DEVICE, _fmt_rate(kind, entry.rate), str(dev), reading.path, entry.rate
                    )
                )
                continue
            wanted.add(dev.key)
            subject += f" ({dev.key})"
            if not reading.present:
                checks.append(
                    Check(
                        subject,
                        PER_DEVICE,
                        _fmt_rate(kind, entry.rate),
                        "no throttle file",
                        Verdict.NOT_ENFORCED,
                        "absent: " + reading.path,
                        engine=engine.get(kind, ""),
                        desired_value=entry.rate,
                    )
                )
                continue
            have = kernel.get(dev.key)
            observed = "no limit" if have is None else _fmt_rate(kind, have)
            verdict = Verdict.ENFORCED if have == entry.rate else Verdict.MISMATCH
            checks.append(
                Check(
                    subject,
                    PER_DEVICE,
                    _fmt_rate(kind, entry.rate),
                    observed,
                    verdict,
                    reading.path,
                    engine=engine.get(kind, ""),
                    desired_value=entry.rate,
                    observed_value=limit_value(have),  # no throttle on the device: +Inf
                )
            )
        for key, have in sorted(kernel.items()):
            if key not in wanted and have is not None:
                checks.append(
                    Check(
                        f"{flag.lstrip('-')} {key}",
                        PER_DEVICE,
                        "not set",
                        _fmt_rate(kind, have),
                        Verdict.MISMATCH,
                        reading.path,
                        "the kernel throttles a device nobody asked for",
                        desired_value=math.inf,
                        observed_value=have,
                    )
                )
    return checks


def engine_echo(host_config: Mapping[str, Any] | None) -> dict[str, str]:
    """What the engine keeps of each setting (HostConfig), as text for the report."""
    if not host_config:
        return {}
    out: dict[str, str] = {}
    for name, f in FIELDS.items():
        if f.controller is None or f.host_config not in host_config:
            continue
        value = host_config.get(f.host_config)
        if isinstance(value, list):
            out[name] = ", ".join(f"{d.get('Path')}:{d.get('Rate')}" for d in value) or "none"
        else:
            out[name] = "unset" if value in (None, 0) else str(value)
    return out


# the limits checked one Check each, in the table's order; memory (verify_memory) and the device
# throttles (a Check per device) are checked apart
_CHECKS: dict[str, Callable[[LimitValues, ControllerFiles, str], Check]] = {
    "cpu_shares": _check_cpu_shares,
    "cpus": _check_cpus,
    "cpuset_cpus": _check_cpuset,
    "pids_limit": _check_pids,
    "blkio_weight": _check_blkio_weight,
}


def verify_limits(
    asked: LimitValues,
    kernel: KernelLimits,
    devices: Mapping[str, BlockDevice | str] | None = None,
    host_config: Mapping[str, Any] | None = None,
    page: int = 4096,
) -> list[Check]:
    """One Check per limit. `devices` maps each asked device path to its BlockDevice (or why not)."""
    echo = engine_echo(host_config)
    checks: list[Check] = []
    memory, row = kernel.memory(), FIELDS["memory"]
    if memory is None:
        checks.append(
            _unknown(
                row.subject,
                row.claim,
                format_bytes(asked.effective_memory),
                kernel.errors.get(row.controller or "", ""),
                value=limit_value(asked.effective_memory),
            )
        )
    else:
        try:
            for c in verify_memory(asked, memory, page):
                key = "memory" if c.subject == row.subject else "memory_swap"
                checks.append(Check(**{**c.__dict__, "engine": echo.get(key, "")}))
        except ValueError as exc:
            shown, value = format_bytes(asked.effective_memory), limit_value(asked.effective_memory)
            checks.append(_unknown(row.subject, row.claim, shown, _garbled(exc), value=value))
    for name, check in _CHECKS.items():
        f = FIELDS[name]
        controller = f.controller or ""
        files = kernel.controllers.get(controller)
        if files is None:
            checks.append(_unknown(f.subject, f.claim, "", kernel.errors.get(controller, "not mounted")))
        else:
            try:
                checks.append(check(asked, files, echo.get(name, "")))
            except ValueError as exc:
                checks.append(_unknown(f.subject, f.claim, "", _garbled(exc)))
    blkio = kernel.controllers.get("blkio")
    if blkio is not None:
        try:
            checks.extend(_check_throttles(asked, blkio, devices or {}, echo))
        except ValueError as exc:
            checks.append(_unknown("device throttles", THROTTLES, "", _garbled(exc)))
    return checks


def _garbled(exc: ValueError) -> str:
    """A limit file that held no number: read while its cgroup was being removed (a container stopping
    between the listing and the read), or a kernel that writes it otherwise."""
    return f"its cgroup file held no number ({exc}): the container may be stopping"
