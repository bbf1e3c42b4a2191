"""Memory by behaviour (seed R1–R3): under the limit a process lives, over it the kernel OOM-kills it.

A buffer of N bytes is allocated and touched with `dd bs=N count=1` (busybox dd reads /dev/zero into
one N-byte buffer). Swap semantics: with --memory-swap = --memory there is no swap, so 1.5 × the
limit is killed; with more memory+swap, 1.5 × the limit survives only if the host has swap at all.
"""

from __future__ import annotations

from dockerctl.hosts import Host
from dockerctl.prove.twins import Twins
from dockerctl.spec.fields import FIELDS
from dockerctl.spec.models import Limits
from dockerctl.spec.units import format_bytes
from dockerctl.verify.verdict import Check, Verdict

MEMORY, SWAP = FIELDS["memory"], FIELDS["memory_swap"]
SWAP_GIVEN = SWAP.claims[0]  # --memory-swap given (the other: unset, so 2 × memory)


def host_swap_bytes(host: Host) -> int:
    """Total swap the host has (/proc/swaps, KiB column); 0 when none."""
    lines = (host.read_text("/proc/swaps") or "").splitlines()[1:]
    return sum(int(line.split()[2]) * 1024 for line in lines if line.split())


def _alloc(size: int) -> list[str]:
    return ["dd", "if=/dev/zero", "of=/dev/null", f"bs={size}", "count=1"]


def _case(
    lab: Twins, limits: Limits, size: int, expect_kill: bool, subject: str, claim: str, note: str = ""
) -> Check:
    done = lab.run(limits, _alloc(size))
    killed = done.oom_killed or done.exit_code == 137
    observed = f"exit {done.exit_code}, OOMKilled {str(done.oom_killed).lower()}"
    desired = "OOM-killed (exit 137)" if expect_kill else "survives (exit 0)"
    ok = killed if expect_kill else (done.exit_code == 0 and not killed)
    evidence = (
        f"dd bs={size} count=1 in a container with -m {limits.memory}"
        + (f" --memory-swap {limits.memory_swap}" if limits.memory_swap else "")
        + "; State.ExitCode, State.OOMKilled"
    )
    return Check(
        subject, claim, desired, observed, Verdict.ENFORCED if ok else Verdict.MISMATCH, evidence, note
    )


def prove_memory(lab: Twins, limits: Limits) -> list[Check]:
    memory = limits.effective_memory
    if memory is None:
        return [
            Check(
                "memory",
                MEMORY.claim,
                "a memory limit",
                "none asked",
                Verdict.UNKNOWN,
                "",
                "give -m (e.g. -m 32M) or a container with a memory limit",
            )
        ]
    swap_total = limits.effective_memory_swap
    checks = [
        _case(
            lab, limits, memory // 2, False, f"allocate {format_bytes(memory // 2)} (½ × limit)", MEMORY.claim
        ),
    ]
    over = int((swap_total or memory) * 2.5) if swap_total is not None else memory * 3
    if swap_total is None:
        swap = host_swap_bytes(lab.host)
        if swap < memory * 3:
            checks.append(
                Check(
                    f"allocate {format_bytes(over)}",
                    SWAP_GIVEN,
                    "OOM-killed",
                    "not run",
                    Verdict.UNKNOWN,
                    "/proc/swaps",
                    "swap is unlimited: only the host's swap bounds it, and it is too small to test safely",
                )
            )
            return checks
    checks.append(
        _case(
            lab,
            limits,
            over,
            True,
            f"allocate {format_bytes(over)} (over memory+swap)",
            f"{MEMORY.claim},{SWAP_GIVEN}",
        )
    )
    between = memory * 3 // 2
    if swap_total == memory:
        checks.append(
            _case(
                lab,
                limits,
                between,
                True,
                f"allocate {format_bytes(between)} (1.5 × limit)",
                SWAP_GIVEN,
                "--memory-swap equals --memory: no swap, so the limit is hard",
            )
        )
    elif swap_total is not None and swap_total > between:
        if host_swap_bytes(lab.host) < between - memory:
            checks.append(
                Check(
                    f"allocate {format_bytes(between)} (1.5 × limit)",
                    SWAP.claim,
                    "survives using swap",
                    "not run",
                    Verdict.UNKNOWN,
                    f"/proc/swaps on {lab.host.name}",
                    "this host has no (or too little) swap: memory+swap above memory cannot be used",
                )
            )
        else:
            checks.append(
                _case(
                    lab,
                    limits,
                    between,
                    False,
                    f"allocate {format_bytes(between)} (1.5 × limit)",
                    SWAP.claim,
                    "memory+swap above memory lets the rest go to swap",
                )
            )
    return checks
