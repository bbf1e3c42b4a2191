"""Where a picture or a page is written: the flag's target checked before any work (suffix, directory,
writable), and the write itself whole or not at all, as one sentence when it fails.

dockerctl runs as root and the target is a path a user gave, often in a directory others can write: a
symlink at that path is replaced by the file, never written through (the file it pointed to is left as it
was), and nothing is ever opened there by a name another user could have planted first."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from dockerctl.errors import InvalidInput
from dockerctl.hosts.paths import write_atomic

SUFFIXES = (".svg", ".html", ".dot")


def _parent(path: Path) -> Path:
    """The directory the file itself goes in: `path`'s own last component is not resolved (a symlink there
    is replaced, not followed)."""
    return Path(os.path.abspath(path)).parent


def check_target(path: Path, flag: str, suffixes: tuple[str, ...] = SUFFIXES) -> None:
    """Before any work: the suffix is one that is written, and its directory is there and writable."""
    if path.suffix.lower() not in suffixes:
        raise InvalidInput(
            f"{path}: give a name ending in {' or '.join(suffixes)}",
            where=flag,
            hint=f"e.g. {flag} lab{suffixes[0]}",
        )
    parent = _parent(path)
    if not parent.is_dir():
        raise InvalidInput(f"the directory {parent} does not exist", where=flag, hint="create it first")
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise InvalidInput(f"{path} is a directory", where=flag, hint="give the name of a file to write")
    try:  # a unique name made with O_EXCL | O_NOFOLLOW: a planted symlink is never opened
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockerctl-probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InvalidInput(f"cannot write to {parent}: {exc.strerror}", where=flag) from None


def write_bytes_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """`hosts.paths.write_atomic` for a picture's bytes (a symlink at `path` is replaced, never followed)."""
    write_atomic(path, data, mode=mode)


def write_text(path: Path, text: str, flag: str) -> None:
    """The page or picture to `path`, whole or not at all (a symlink at `path` is replaced)."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", where=flag) from None


def write_bytes(path: Path, data: bytes, flag: str) -> None:
    """A binary picture (PNG) to `path`, as `write_text`."""
    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", where=flag) from None
