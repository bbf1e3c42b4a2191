"""This machine seen from a container that has the host's /proc mounted elsewhere (`-v /proc:/host/proc:ro`).

A swarm service cannot share the host's PID namespace (a service spec has no PidMode), so a container's
init process, which the engine names by its host pid, is found under the host's procfs mounted at
`proc_root`. Every other path (`/sys/fs/cgroup`, mounted from the host) is read where it is; `/proc/self`
stays this process's own view (its mounts say where the host's cgroup hierarchies are mounted here).
"""

from __future__ import annotations

from pathlib import Path

from dockerctl.hosts.local import LocalHost


class HostProcHost(LocalHost):
    kind = "local"

    def __init__(self, proc_root: Path, name: str = "this machine") -> None:
        super().__init__(name)
        self.proc_root = proc_root

    def _map(self, path: str) -> str:
        rest = path[len("/proc/") :] if path.startswith("/proc/") else ""
        if rest and rest.split("/", 1)[0].isdigit():
            return str(self.proc_root / rest)
        return path

    def read_text(self, path: str) -> str | None:
        return super().read_text(self._map(path))

    def read_link(self, path: str) -> str | None:
        return super().read_link(self._map(path))

    def list_dir(self, path: str) -> list[str] | None:
        return super().list_dir(self._map(path))

    def exists(self, path: str) -> bool:
        return super().exists(self._map(path))
