"""Was a container OOM-killed? The kernel's own records, for a container that runs and for one that exited.

- While the container runs, its memory cgroup counts OOM kills: v1 `memory.oom_control` (`oom_kill N`),
  v2 `memory.events` (`oom_kill N`). That is read by observe/pressure.py.
- When the container's main process dies the runtime removes the cgroup, and the counter with it. What
  survives is the line the kernel logs at every OOM kill, naming the memory cgroup it happened in:
  `oom-kill:constraint=CONSTRAINT_MEMCG,…,oom_memcg=/docker/<id>,task_memcg=/docker/<id>,task=dd,pid=…`
  (kernels ≥ 4.19; v2 with the systemd driver: `/system.slice/docker-<id>.scope`; older kernels:
  `Task in /docker/<id> killed as a result of limit of /docker/<id>`). It is read with `dmesg` on the
  engine's host — this machine or the ssh host. A SIGKILL sent by `docker kill` leaves no such line.

Raw records and where they came from; judging is the caller's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockerctl.hosts import Host, KernelUnreachable

# one record per OOM kill (≥ 4.19), and the form older kernels write
_OOM_KILL = re.compile(r"oom-kill:(?P<fields>\S+)")
_OLD_FORM = re.compile(r"Task in (?P<task>\S+) killed as a result of limit of (?P<limit>\S+)")
_KILLED = re.compile(r"(?:Memory cgroup out of memory: )?Killed process (?P<pid>\d+) \((?P<comm>[^)]*)\)")


@dataclass(frozen=True)
class OomRecord:
    """One OOM kill as the kernel logged it."""

    line: str
    memcg: str  # the cgroup whose limit was hit (oom_memcg)
    task_memcg: str  # the cgroup of the process killed
    task: str = ""  # its command name, when the line says
    pid: int | None = None


@dataclass
class KernelLog:
    """The OOM kills the kernel log holds for one container, and whether the log could be read at all."""

    source: str  # the command run (and on which host)
    readable: bool
    records: list[OomRecord] = field(default_factory=list)
    error: str = ""


def parse_oom_records(text: str, container_id: str) -> list[OomRecord]:
    """The OOM kills in kernel-log `text` whose memory cgroup names `container_id` (the full id: both
    cgroup drivers put it in the path)."""
    out: list[OomRecord] = []
    pending_old: tuple[str, str, str] | None = None
    for line in text.splitlines():
        found = _OOM_KILL.search(line)
        if found:
            fields = dict(item.split("=", 1) for item in found.group("fields").split(",") if "=" in item)
            memcg, task_memcg = fields.get("oom_memcg", ""), fields.get("task_memcg", "")
            if container_id and (container_id in memcg or container_id in task_memcg):
                pid = fields.get("pid", "")
                out.append(
                    OomRecord(line.strip(), memcg, task_memcg, fields.get("task", ""),
                              int(pid) if pid.isdigit() else None)
                )  # fmt: skip
            continue
        old = _OLD_FORM.search(line)
        if old:
            pending_old = (line.strip(), old.group("limit"), old.group("task"))
            continue
        killed = _KILLED.search(line)
        if killed and pending_old is not None:  # the older kernels' pair: "Task in …" then "Killed process"
            first, limit, task = pending_old
            pending_old = None
            if container_id and (container_id in limit or container_id in task):
                out.append(
                    OomRecord(first + " / " + line.strip(), limit, task, killed.group("comm"),
                              int(killed.group("pid")))
                )  # fmt: skip
    return out


def read_kernel_log(host: Host, container_id: str) -> KernelLog:
    """`dmesg` on `host`, reduced to the OOM kills in `container_id`'s memory cgroup."""
    argv = ["dmesg"]
    source = f"dmesg on {host.name}"
    try:
        done = host.run(argv, timeout=30)
    except KernelUnreachable as exc:  # an ssh host that stopped answering: say so, do not guess
        return KernelLog(source, False, error=str(exc))
    if not done.ok or not done.stdout.strip():
        reason = done.stderr.strip() or (
            "the command could not be run" if done.returncode is None else "it printed nothing"
        )
        return KernelLog(source, False, error=f"the kernel log cannot be read: {reason}")
    return KernelLog(source, True, parse_oom_records(done.stdout, container_id))
