"""Device throttling by behaviour (seed R6–R7): direct IO (no page cache, seed R5) to a volume on the
throttled disk runs at no more than the limit. An unthrottled run of the same IO first shows the disk is
faster than the limit — otherwise a "pass" would prove nothing, and the proof says so instead.

Busybox dd prints no timing here, so each step is timed inside the container from /proc/uptime.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from dockerctl.prove.twins import Twins
from dockerctl.spec.fields import FIELDS, THROTTLE_KINDS
from dockerctl.spec.models import Limits
from dockerctl.spec.units import format_bytes
from dockerctl.verify.verdict import Check, Verdict

THROTTLE_CLAIM = FIELDS[THROTTLE_KINDS[0]].claim  # the device throttles' seed claims
MIB = 1024 * 1024
BLOCK_IOPS = 4096
_LINE = re.compile(r"^dctl-io (\w+) rc=(\d+) start=([\d.]+) end=([\d.]+)$", re.M)


@dataclass(frozen=True)
class Step:
    label: str  # one of THROTTLE_KINDS
    command: str  # the dd command line
    amount: int  # bytes (bps) or operations (iops)


def plan_steps(kinds: dict[str, int]) -> list[Step]:
    """The dd runs that measure each asked throttle for about 2 s at its limit."""
    steps = []
    for kind, rate in kinds.items():
        if kind.endswith("bps"):
            count = min(256, max(4, math.ceil(2 * rate / MIB)))
            amount, bs = count * MIB, "1M"
        else:
            count = min(20000, max(20, 2 * rate))
            amount, bs = count, "4k"
        name = "/data/bps" if kind.endswith("bps") else "/data/iops"
        if "write" in kind:
            cmd = f"dd if=/dev/zero of={name}.w bs={bs} count={count} oflag=direct"
        else:
            cmd = f"dd if={name}.src of=/dev/null bs={bs} count={count} iflag=direct"
        steps.append(Step(kind, cmd, amount))
    return steps


def script(steps: list[Step], prepare: bool) -> str:
    """One shell script timing each step; `prepare` first writes the files the read steps read."""
    lines = []
    if prepare:  # the files the read steps read, as large as they read
        for s in steps:
            if "read" in s.label:
                src = s.command.split("if=", 1)[1].split()[0]
                bs, count = ("1M", s.amount // MIB) if s.label.endswith("bps") else ("4k", s.amount)
                lines.append(f"dd if=/dev/zero of={src} bs={bs} count={count} 2>/dev/null")
        lines.append("sync")
    for s in steps:
        lines.append(
            f"read s _ </proc/uptime; {s.command} 2>/dev/null; rc=$?; read e _ </proc/uptime; "
            f'echo "dctl-io {s.label} rc=$rc start=$s end=$e"'
        )
    return "\n".join(lines)


def parse_timings(output: str) -> dict[str, tuple[int, float]]:
    """'dctl-io device_write_bps rc=0 start=1385.76 end=1387.77' → {kind: (rc, seconds)}."""
    return {
        m.group(1): (int(m.group(2)), float(m.group(4)) - float(m.group(3))) for m in _LINE.finditer(output)
    }


def _rate(step: Step, seconds: float) -> float:
    return step.amount / max(seconds, 0.01)


def _fmt(kind: str, value: float) -> str:
    if kind.endswith("bps"):
        return format_bytes(int(value)) + "/s" if value % MIB == 0 else f"{value / MIB:.1f}MiB/s"
    return f"{value:.0f} IO/s"


def judge(
    step: Step,
    limit: int,
    seconds: float | None,
    baseline_seconds: float | None,
    tolerance: float,
    device: str,
) -> Check:
    subject = f"{step.label.replace('_', '-')} {device}"
    desired = f"≤ {_fmt(step.label, limit)} (+{tolerance:.0%})"
    evidence = f"{step.command} (timed from /proc/uptime)"
    if seconds is None or baseline_seconds is None:
        return Check(
            subject, THROTTLE_CLAIM, desired, "no timing", Verdict.UNKNOWN, evidence, "the IO step failed"
        )
    rate, base = _rate(step, seconds), _rate(step, baseline_seconds)
    unit = "bytes" if step.label.endswith("bps") else "IOs"
    fast = "≥ " if baseline_seconds <= 0.01 else ""  # /proc/uptime counts in 10 ms steps
    observed = (
        f"{_fmt(step.label, rate)} ({step.amount} {unit} in {seconds:.2f} s; "
        f"unthrottled {fast}{_fmt(step.label, base)})"
    )
    if base <= limit * 1.5:
        return Check(
            subject,
            THROTTLE_CLAIM,
            desired,
            observed,
            Verdict.UNKNOWN,
            evidence,
            "the disk is not clearly faster than the limit without it: nothing to show",
        )
    ok = rate <= limit * (1 + tolerance)
    return Check(
        subject, THROTTLE_CLAIM, desired, observed, Verdict.ENFORCED if ok else Verdict.MISMATCH, evidence
    )


def prove_io(lab: Twins, limits: Limits, *, tolerance: float = 0.10) -> list[Check]:
    wanted: dict[str, int] = {}
    devices: dict[str, str] = {}
    for kind in THROTTLE_KINDS:
        for entry in getattr(limits, kind):
            wanted[kind] = entry.rate  # one device per kind is measured: the volume lives on one disk
            devices[kind] = entry.path
    if not wanted:
        return []
    steps = plan_steps(wanted)
    volume = lab.volume()
    mount = {"volumes": {volume: {"bind": "/data", "mode": "rw"}}}
    baseline = lab.run(Limits(), ["sh", "-c", script(steps, prepare=True)], mount)
    throttled = lab.run(limits, ["sh", "-c", script(steps, prepare=False)], mount)
    base_t, thr_t = parse_timings(baseline.output), parse_timings(throttled.output)
    checks = []
    for step in steps:
        b = base_t.get(step.label)
        t = thr_t.get(step.label)
        checks.append(
            judge(
                step,
                wanted[step.label],
                t[1] if t and t[0] == 0 else None,
                b[1] if b and b[0] == 0 else None,
                tolerance,
                devices[step.label],
            )
        )
    return checks
