"""Mounts, read and judged in one place (seed S1–S7): the container's mount table from
/proc/<pid>/mountinfo on the engine's host, and the write probe that proves ro/rw by behaviour.
`mounts [--prove]`, playbook `mount` expectations and `assert_mount` all come here."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from docker.models.containers import Container

from dockerctl.checks.subject import running_pid
from dockerctl.engines.client import engine_call
from dockerctl.hosts import Host
from dockerctl.observe.container_mounts import MountRow, container_mounts
from dockerctl.observe.mounts import Mount, parse_mountinfo
from dockerctl.verify.verdict import Check, Verdict

PROBE_NAME = ".dockerctl-write-probe"
# the probe's script: the file's path is its first argument ("$1"), data that is never read as shell
PROBE_SCRIPT = 'echo probe > "$1" && rm -f -- "$1"'


def _mountinfo(host: Host, container: Container) -> tuple[str, str]:
    pid = running_pid(container, needs="its mount table")
    path = f"/proc/{pid}/mountinfo"
    return host.read_text(path) or "", f"{path} on {host.name}"


def mount_table(host: Host, container: Container) -> tuple[list[Mount], str]:
    """(the container's mounts, the file they were read from)."""
    text, source = _mountinfo(host, container)
    return parse_mountinfo(text), source


def mount_rows(host: Host, container: Container, *, include_pseudo: bool = False) -> list[MountRow]:
    text, _ = _mountinfo(host, container)
    return container_mounts(text, container.attrs, include_pseudo=include_pseudo)


@dataclass(frozen=True)
class WriteProbe:
    wrote: bool
    output: str
    command: str


def write_probe(container: Container, path: str) -> WriteProbe:
    """Write a file under `path` inside the container (and remove it): does the mount take writes?"""
    probe = f"{path.rstrip('/')}/{PROBE_NAME}"
    argv = probe_argv(probe)
    command = shlex.join(argv)  # as evidence: what ran, quoted from the argv itself
    result = engine_call(container.exec_run, argv, what=f"write a probe file in {container.name}")
    return WriteProbe(result.exit_code == 0, result.output.decode(errors="replace").strip(), command)


def probe_argv(probe: str) -> list[str]:
    """The write probe's argv: `path` (from a playbook or a mount table) goes as "$1", not as script."""
    return ["sh", "-c", PROBE_SCRIPT, "sh", probe]


def check_mount(
    host: Host,
    container: Container,
    path: str,
    *,
    read_only: bool | None = None,
    fstype: str | None = None,
    claim: str = "S4",
) -> Check:
    """`path` is a mount point of the container; with read_only given, the kernel's flag and a write
    agree with it (a ro mount refuses the write, a rw one takes it)."""
    mounts, source = mount_table(host, container)
    subject = f"{container.name}:{path}"
    found = [m for m in mounts if m.mount_point == path]
    if not found:
        points = ", ".join(
            sorted(m.mount_point for m in mounts if not m.mount_point.startswith(("/proc", "/sys", "/dev")))
        )
        return Check(
            subject,
            claim,
            "a mount point",
            "not mounted",
            Verdict.MISMATCH,
            source,
            f"mount points: {points}",
        )
    m = found[-1]
    problems = []
    observed = f"{m.fstype} {'ro' if m.read_only else 'rw'} (source {m.source})"
    if fstype is not None and m.fstype != fstype:
        problems.append(f"filesystem {m.fstype}, expected {fstype}")
    evidence = source
    if read_only is not None:
        probe = write_probe(container, path)
        observed += f"; a write {'succeeded' if probe.wrote else 'was refused'}"
        evidence += "; a write"
        if m.read_only != read_only:
            problems.append(
                f"mounted {'ro' if m.read_only else 'rw'}, expected {'ro' if read_only else 'rw'}"
            )
        if probe.wrote == read_only:
            problems.append(f"a write to {path} {'succeeded' if probe.wrote else 'failed'}")
    desired = "read-only" if read_only else ("read-write" if read_only is False else "mounted")
    if fstype:
        desired += f" {fstype}"
    return Check(
        subject,
        claim,
        desired,
        observed,
        Verdict.MISMATCH if problems else Verdict.ENFORCED,
        evidence,
        "; ".join(problems),
    )


def write_probe_check(container: Container, row: MountRow) -> Check:
    """Seed S4/S7 for one row of `mounts --prove`: ro refuses a write, rw takes it."""
    probe = write_probe(container, row.mount_point)
    desired = "write refused" if row.read_only else "write succeeds"
    observed = "write succeeded" if probe.wrote else f"write refused: {probe.output}"
    return Check(
        f"{'ro' if row.read_only else 'rw'} {row.mount_point}",
        "S4,S7",
        desired,
        observed,
        Verdict.ENFORCED if probe.wrote != row.read_only else Verdict.MISMATCH,
        f"{probe.command} in the container",
    )
