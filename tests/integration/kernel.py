"""Independent kernel reads for assertions: deliberately NOT dockerctl's own reader, so a bug there
cannot make a test pass."""

from __future__ import annotations

from pathlib import Path


def v1_memory_dir(pid: int) -> Path:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
    raise AssertionError(f"process {pid} has no v1 memory cgroup")


def read_int(path: Path) -> int:
    return int(path.read_text().strip())


def v1_dir(pid: int, controller: str) -> Path:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
    raise AssertionError(f"process {pid} has no v1 {controller} cgroup")


def read(pid: int, controller: str, name: str) -> str:
    return (v1_dir(pid, controller) / name).read_text().strip()


def wait_gone(pid: int, timeout: float = 10) -> None:
    """Until process `pid` is gone (or a zombie: it no longer runs), never a fixed sleep."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if stat.rpartition(")")[2].split()[0] == "Z":
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} still runs {timeout:g}s after it was killed")
