"""Paths on this machine that dockerctl owns or shares, and how it writes there: checked directories
(`secure_dir`), whole files (`write_atomic`). The state directory and its folders: hosts/state.py."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from dockerctl.errors import StateUnwritable

NETNS_DIR = "/var/run/netns"  # named network namespaces (`ip netns`), where lab hosts live


def _owned(path: Path, *, private: bool) -> None:
    """Refuse a directory that is a symlink, is not ours, or that another user could write (or, when
    `private`, enter): dockerctl runs as root, and a directory a local user made first must never be used."""
    st = os.lstat(path)
    why = ""
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        why = "is not a directory (a symlink or a file)"
    elif st.st_uid != os.geteuid():
        why = f"belongs to uid {st.st_uid}, not to uid {os.geteuid()} that runs dockerctl"
    elif st.st_mode & (0o077 if private else 0o022):
        why = f"has mode {stat.S_IMODE(st.st_mode):04o}: others can {'enter' if private else 'write'} it"
    if why:
        raise StateUnwritable(
            f"{path} {why}; dockerctl will not use it",
            hint="remove it (or set DOCKERCTL_STATE_DIR to a directory of your own) and run again",
        )


def secure_dir(path: Path, *, private: bool = True) -> Path:
    """`path` made if missing (0700), then checked: a directory, ours, and not writable (when `private`:
    not even enterable) by anyone else — refused otherwise (StateUnwritable), never chmod-ed into shape."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StateUnwritable(f"{path} cannot be made ({exc.strerror})") from exc
    _owned(path, private=private)
    return path


def write_atomic(path: Path, text: str | bytes, *, mode: int = 0o644) -> None:
    """Write a file whole or not at all — a reader (another dockerctl, a restarted plugin) never sees
    half of it: a uniquely named temporary beside it (O_EXCL | O_NOFOLLOW), fsynced, renamed over it, the
    directory fsynced. A symlink at `path` is replaced, never followed. Its directory is made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dirfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def write_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """A JSON record (keys sorted), written with `write_atomic`."""
    write_atomic(path, json.dumps(data, sort_keys=True, indent=indent))


class InDir:
    """A path attribute of a daemon's or a lab's record: the file `name` in the directory the object's
    `base` attribute names (its run directory: `pidfile = InDir("qemu.pid")`)."""

    def __init__(self, name: str, base: str = "dir") -> None:
        self.name, self.base = name, base

    def __get__(self, obj: object, owner: type | None = None) -> Path:
        directory: Path = getattr(obj, self.base)
        return directory / self.name


class Named:
    """A name derived from a record's fields, one line each: `socket = Named("/run/dctl-{self.host}.sock")`
    (the template is formatted with the object as `self`)."""

    def __init__(self, template: str) -> None:
        self.template = template

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return self.template.format(self=obj)
