"""One Check per verified field: desired vs observed, a verdict, and the evidence that was read."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from dockerctl.observe.cgroup import CgroupNotFound, MemoryObservation
from dockerctl.spec.fields import FIELDS
from dockerctl.spec.limit_values import LimitValues
from dockerctl.spec.units import format_bytes


class Verdict(StrEnum):
    ENFORCED = "enforced"  # the kernel holds the asked value
    UNLIMITED = "unlimited"  # nothing asked, and the kernel sets no limit
    NOT_ENFORCED = "not-enforced"  # this kernel cannot enforce it (the engine may have said OK anyway)
    MISMATCH = "mismatch"  # the kernel holds something else
    UNKNOWN = "unknown"  # could not be read
    IMPOSED = "imposed"  # nothing asked, but the host set a limit (systemd's TasksMax for the scope)

    @property
    def ok(self) -> bool:
        """What was asked holds (an imposed limit is the host's, not a failure of what was asked)."""
        return self in (Verdict.ENFORCED, Verdict.UNLIMITED, Verdict.IMPOSED)


def held(ok: bool) -> Verdict:
    """The verdict of a yes/no check: enforced when it holds, a mismatch when it does not."""
    return Verdict.ENFORCED if ok else Verdict.MISMATCH


LINUX_TTL = 64  # the TTL a Linux peer's ping reply starts with


def reply_ttl(to: str, claim: str, observed: int | None, hops: int, meaning: str, evidence: str) -> Check:
    """The TTL of `to`'s ping reply: one less for each of `hops` routers on the way (none: one L2 path).
    meaning: what that says, after the number ("not decremented (no router between)")."""
    want = LINUX_TTL - hops
    return Check(
        f"TTL of {to}'s reply", claim, f"{want}: {meaning}", str(observed), held(observed == want), evidence
    )


@dataclass(frozen=True)
class Check:
    subject: str  # what is checked: "memory", "memory+swap"
    claim: str  # seed claim id(s)
    desired: str
    observed: str
    verdict: Verdict
    evidence: str  # the file read or the command run
    note: str = ""
    engine: str = ""  # what the engine reports it was asked (HostConfig), when that is known
    expectation: int = -1  # the playbook expectation it proves (its index under expect:), -1: none
    # a limit's figures as numbers, in the limit's unit (bytes, shares, CPUs …; +Inf: no limit; None: no
    # figure): what metrics carry, so they never depend on the text shown in desired / observed
    desired_value: float | None = None
    observed_value: float | None = None

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def to_dict(self) -> dict[str, object]:
        """The report's fields (the figures stay out: the text says them, and JSON has no +Inf)."""
        data = asdict(self)
        for name in _FIGURES:
            del data[name]
        data["verdict"] = str(self.verdict)
        data["ok"] = self.ok
        return data


_FIGURES = ("desired_value", "observed_value")


def limit_value(value: float | None) -> float:
    """A limit's figure for metrics: None (no limit) is +Inf."""
    return math.inf if value is None else float(value)


def _compare(
    subject: str, claim: str, desired: int | None, observed: int | None, evidence: str, page: int
) -> Check:
    shown = format_bytes(observed) if observed is None else f"{observed} ({format_bytes(observed)})"
    wanted = format_bytes(desired) if desired is None else f"{desired} ({format_bytes(desired)})"
    note = ""
    if desired is None:
        verdict = Verdict.UNLIMITED if observed is None else Verdict.MISMATCH
    elif observed is None:
        verdict = Verdict.MISMATCH
    elif observed == desired:
        verdict = Verdict.ENFORCED
    # the kernel keeps whole pages (v2's memory+swap is two files, each rounded down)
    elif observed % page == 0 and 0 <= desired - observed < 2 * page:
        verdict, note = Verdict.ENFORCED, f"rounded down to whole {page}-byte pages by the kernel"
    else:
        verdict = Verdict.MISMATCH
    return Check(
        subject, claim, wanted, shown, verdict, evidence, note,
        desired_value=limit_value(desired), observed_value=limit_value(observed),
    )  # fmt: skip


def verify_memory(limits: LimitValues, observed: MemoryObservation, page: int = 4096) -> list[Check]:
    """Seed R1–R3: the memory limit, and memory+swap (2 × memory when --memory-swap is unset)."""
    memory, swap = FIELDS["memory"], FIELDS["memory_swap"]
    checks = [
        _compare(
            memory.subject,
            memory.claim,
            limits.effective_memory,
            observed.memory_limit,
            observed.memory.path,
            page,
        )
    ]
    given, doubled = swap.claims  # --memory-swap given; unset, so 2 × memory
    claim = doubled if limits.memory and limits.memory_swap in (None, 0) else given
    desired_swap = limits.effective_memory_swap
    try:
        kernel_swap = observed.memory_plus_swap
    except CgroupNotFound as exc:
        verdict = Verdict.UNLIMITED if desired_swap is None else Verdict.NOT_ENFORCED
        checks.append(
            Check(
                swap.subject,
                claim,
                format_bytes(desired_swap),
                "no swap limit file",
                verdict,
                observed.swap.path,
                str(exc),
                desired_value=limit_value(desired_swap),
            )
        )
        return checks
    evidence = observed.swap.path
    if observed.version == 2:
        evidence = f"{observed.memory.path} + {observed.swap.path}"
    check = _compare(swap.subject, claim, desired_swap, kernel_swap, evidence, page)
    if observed.version == 2 and check.ok and desired_swap is not None:
        v2_note = f"v2 stores swap alone: {swap.file(2)} = (memory+swap) − memory"
        check = replace(check, note=f"{check.note}; {v2_note}" if check.note else v2_note)
    checks.append(check)
    return checks
