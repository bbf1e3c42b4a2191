"""Judging where a swarm service's tasks landed: on the lab's hosts, on those the playbook names."""

from __future__ import annotations

from dockerctl.verify.verdict import Check, Verdict, held


def off_the_lab(slot: str, node_id: str, host: str) -> Check:
    """A running task whose node is not one of the lab's hosts (or has no container yet): its limits
    cannot be read."""
    return Check(slot, "-", "a task on a lab host", f"node {node_id[:12]} ({host or '?'})", Verdict.UNKNOWN,
                 "swarm tasks", "its node is not one of the lab's hosts")  # fmt: skip


def placement(service: str, wanted: list[str], landed: list[str]) -> Check:
    """The running tasks are on exactly the hosts asked for (each at least once)."""
    return Check(f"placement of {service}", "-", f"tasks on {', '.join(wanted)}",
                 ", ".join(sorted(landed)) or "no running task", held(set(landed) == set(wanted)),
                 "swarm tasks → node labels")  # fmt: skip
