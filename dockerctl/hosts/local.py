"""This machine: commands through subprocess, files read directly."""

from __future__ import annotations

import os
import shutil
import stat as stat_
import subprocess
from collections.abc import Sequence
from pathlib import Path

from dockerctl.hosts.base import Completed, FileStat, Host


def run_local(argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
    argv = tuple(argv)
    if shutil.which(argv[0]) is None:
        return Completed(argv, None, "", f"{argv[0]}: not installed")
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Completed(argv, None, "", str(exc))
    return Completed(argv, done.returncode, done.stdout, done.stderr)


class LocalHost(Host):
    kind = "local"

    def __init__(self, name: str = "this machine") -> None:
        super().__init__(name)

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        return run_local(argv, timeout=timeout, stdin=stdin)

    def read_text(self, path: str) -> str | None:
        try:
            return Path(path).read_text()
        except (OSError, UnicodeDecodeError):
            return None

    def read_link(self, path: str) -> str | None:
        try:
            return os.readlink(path)
        except OSError:
            return None

    def list_dir(self, path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(path))
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def stat(self, path: str) -> FileStat | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if stat_.S_ISBLK(st.st_mode):
            kind = "block"
        elif stat_.S_ISDIR(st.st_mode):
            kind = "directory"
        elif stat_.S_ISREG(st.st_mode):
            kind = "file"
        else:
            kind = "other"
        return FileStat(
            kind,
            (os.major(st.st_rdev), os.minor(st.st_rdev)),
            (os.major(st.st_dev), os.minor(st.st_dev)),
            st.st_ino,
            st.st_ctime,
        )

    def page_size(self) -> int:
        return os.sysconf("SC_PAGE_SIZE")

    def cmdlines(self) -> dict[int, tuple[str, ...]]:
        out: dict[int, tuple[str, ...]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                raw = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            out[int(entry)] = tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)
        return out
