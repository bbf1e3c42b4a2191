"""A captured file tree laid out as a host has it (for readers tested on a real v2 capture).

`/proc/...` paths map into `proc_root`, every other absolute path into `fs_root`. It runs no commands.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from dockerctl.hosts.base import Completed, FileStat
from dockerctl.hosts.local import LocalHost


class TreeHost(LocalHost):
    kind = "tree"
    local_files = local_network = False  # a captured tree, not this machine

    def __init__(self, fs_root: Path, proc_root: Path | None = None, *, page: int = 4096) -> None:
        super().__init__(f"tree:{fs_root}")
        self.fs_root = fs_root
        self.proc_root = proc_root or fs_root / "proc"
        self.page = page

    def path(self, absolute: str) -> Path:
        if absolute == "/proc" or absolute.startswith("/proc/"):
            return self.proc_root / absolute[len("/proc") :].lstrip("/")
        return self.fs_root / absolute.lstrip("/")

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        return Completed(tuple(argv), None, "", "a captured file tree runs no commands")

    def read_text(self, path: str) -> str | None:
        return super().read_text(str(self.path(path)))

    def read_link(self, path: str) -> str | None:
        return super().read_link(str(self.path(path)))

    def list_dir(self, path: str) -> list[str] | None:
        return super().list_dir(str(self.path(path)))

    def exists(self, path: str) -> bool:
        return self.path(path).exists()

    def realpath(self, path: str) -> str:
        """The path with every symlink inside the tree resolved (a captured /var/run → /run as well)."""
        out = PurePosixPath("/")
        for part in PurePosixPath(posixpath.normpath(path)).parts[1:]:
            here = out / part
            for _ in range(40):  # the kernel's limit on symlinks followed
                real = self.path(str(here))
                if not real.is_symlink():
                    break
                here = PurePosixPath(posixpath.normpath(here.parent / os.readlink(real)))
            out = here
        return str(out)

    def is_dir(self, path: str) -> bool:
        return self.path(path).is_dir()

    def stat(self, path: str) -> FileStat | None:
        return super().stat(str(self.path(path)))

    def page_size(self) -> int:
        return self.page

    def cmdlines(self) -> dict[int, tuple[str, ...]]:
        return {}
