"""CPU shares by behaviour (seed R4): two busy containers pinned to one CPU with shares a:b get CPU time
in the ratio a:b. CPU time comes from each container's own cgroup (v1 cpuacct.usage, v2 cpu.stat)."""

from __future__ import annotations

import time

from dockerctl.observe.cgroup import CgroupNotFound, CgroupReader, container_cgroup, read_file
from dockerctl.prove.twins import Twins
from dockerctl.spec.fields import FIELDS
from dockerctl.spec.models import Limits
from dockerctl.verify.verdict import Check, Verdict

SHARES_CLAIM = FIELDS["cpu_shares"].claim
BUSY = ["sh", "-c", "while :; do :; done"]


def cpu_usage_ns(reader: CgroupReader, pid: int, container_id: str) -> tuple[int, str]:
    """Total CPU time of a container in ns, and the file it came from."""
    try:
        where = container_cgroup(reader, pid, container_id, "cpuacct")
        reading = read_file(reader, where.path, "cpuacct.usage")
        if where.version == 1 and reading.present:
            return int(reading.text), reading.path
    except CgroupNotFound:
        pass
    where = container_cgroup(reader, pid, container_id, "cpu")
    reading = read_file(reader, where.path, "cpu.stat")
    for line in reading.text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) * 1000, reading.path
    raise CgroupNotFound(f"no CPU usage in {reading.path}")


def judge_ratio(
    used_a: int,
    used_b: int,
    shares_a: int,
    shares_b: int,
    seconds: float,
    tolerance: float,
    evidence: str,
    cpu: int,
) -> Check:
    expected = shares_a / shares_b
    subject = f"CPU time ratio, shares {shares_a}:{shares_b} on CPU {cpu}"
    desired = f"{expected:.2f} ± {tolerance:.0%}"
    if used_b <= 0:
        return Check(
            subject, SHARES_CLAIM, desired, "second container got no CPU time", Verdict.UNKNOWN, evidence
        )
    ratio = used_a / used_b
    observed = f"{ratio:.2f} ({used_a / 1e9:.2f} s vs {used_b / 1e9:.2f} s of CPU in {seconds:g} s)"
    within = abs(ratio / expected - 1) <= tolerance
    return Check(
        subject, SHARES_CLAIM, desired, observed, Verdict.ENFORCED if within else Verdict.MISMATCH, evidence
    )


def prove_cpu(
    lab: Twins,
    shares_a: int,
    shares_b: int,
    *,
    seconds: float = 4.0,
    tolerance: float = 0.25,
    cpu: int = 0,
) -> list[Check]:
    reader = CgroupReader(lab.host)
    a = lab.start(Limits(cpu_shares=shares_a, cpuset_cpus=str(cpu)), BUSY)
    b = lab.start(Limits(cpu_shares=shares_b, cpuset_cpus=str(cpu)), BUSY)
    pid_a, pid_b = int(a.attrs["State"]["Pid"]), int(b.attrs["State"]["Pid"])
    time.sleep(0.5)  # both busy before the window opens
    a0, path_a = cpu_usage_ns(reader, pid_a, a.id)
    b0, path_b = cpu_usage_ns(reader, pid_b, b.id)
    start = time.monotonic()
    time.sleep(seconds)
    a1, _ = cpu_usage_ns(reader, pid_a, a.id)
    b1, _ = cpu_usage_ns(reader, pid_b, b.id)
    elapsed = time.monotonic() - start
    return [
        judge_ratio(
            a1 - a0, b1 - b0, shares_a, shares_b, round(elapsed, 2), tolerance, f"{path_a}, {path_b}", cpu
        )
    ]
