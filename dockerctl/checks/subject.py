"""The running process behind a container: what every kernel check starts from."""

from __future__ import annotations

from docker.models.containers import Container

from dockerctl.errors import Conflict


def pid_of(container: Container) -> int:
    """State.Pid of the container's init, as its engine reports it (0 when not running)."""
    return int((container.attrs.get("State") or {}).get("Pid") or 0)


def running_pid(container: Container, *, needs: str) -> int:
    """The pid, or a Conflict that says what needs the container running ('its cgroups', …)."""
    pid = pid_of(container)
    if pid <= 0:
        raise Conflict(
            f"container {container.name} is not running: {needs} exist only while it runs",
            hint=f"docker start {container.name}",
        )
    return pid
