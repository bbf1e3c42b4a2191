"""Judging what a playbook expectation's experiment found, where the judgement is the expectation's own
(the OOM killer's verdict, a published port, a device to throttle); pure: the experiment ran elsewhere."""

from __future__ import annotations

from dockerctl.spec.fields import FIELDS, THROTTLE_KINDS
from dockerctl.verify.verdict import Check, Verdict, held


def oom(
    name: str, allocate: str, want_killed: bool, exit_code: int, oom_killed: bool, evidence: str
) -> Check:
    """R1: a twin that allocates `allocate` under the container's memory limit is OOM-killed, or not."""
    killed = oom_killed or exit_code == 137  # 137: SIGKILL, as the OOM killer ends it
    return Check(
        f"twin of {name} allocates {allocate}", FIELDS["memory"].claim, "OOM-killed" if want_killed else "survives",
        f"exit {exit_code}, OOMKilled {str(oom_killed).lower()}", held(killed == want_killed), evidence,
    )  # fmt: skip


def published_port(name: str, port: int, bindings: list[dict[str, str]]) -> tuple[str, int] | Check:
    """O2, first half: where the engine publishes the container's TCP `port` — (address to connect to,
    host port) — or the failed check when it publishes it nowhere."""
    if not bindings:
        return Check(f"{name} port {port}", "O2", "published", "not published", Verdict.MISMATCH,
                     "NetworkSettings.Ports")  # fmt: skip
    address = bindings[0].get("HostIp") or "127.0.0.1"
    wildcard = address == "0.0.0.0"  # nosec B104  # compared with what the engine bound, never bound here
    return ("127.0.0.1" if wildcard else address), int(bindings[0]["HostPort"])


def answers(
    name: str, port: int, address: str, host_port: int, ok: bool, observed: str, command: str
) -> Check:
    """O2, second half: a TCP connect to the published port, made on the container's host."""
    return Check(
        f"{address}:{host_port} → {name}:{port}", "O2", "answers from the host", observed, held(ok), command
    )


def no_device() -> Check:
    """R6 cannot be measured without a block device to throttle."""
    return Check("device rate", FIELDS[THROTTLE_KINDS[0]].claims[0], "a throttled disk", "no block device under the engine's data root",
                 Verdict.UNKNOWN, "DockerRootDir")  # fmt: skip
