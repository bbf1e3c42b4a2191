"""Removing what dockerctl made on this machine, saying exactly what could not be removed: a cleanup that
reports success while data stays behind is the one mistake a user cannot see."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


def remove_tree(path: Path | str) -> list[str]:
    """`path` and everything under it removed (a symlink is removed, never followed); nothing there is
    not a failure. → each path that could not be removed, with why ("/x/y (Operation not permitted)");
    empty when all of it went."""
    path = Path(path)
    failed: list[str] = []

    def note(_function: Any, where: str, info: Any) -> None:
        exc = info[1] if isinstance(info, tuple) else info
        if isinstance(exc, FileNotFoundError):
            return  # gone meanwhile: the goal is reached
        failed.append(f"{where} ({_why(exc)})")

    if not os.path.isdir(path) or os.path.islink(path):  # a file, a symlink, or nothing at all
        return remove_file(path)
    shutil.rmtree(path, onerror=note)
    return _deepest_only(failed)


def remove_file(path: Path | str) -> list[str]:
    """One file (or symlink) removed; absent is fine. → [the path with why] when it could not be."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [f"{path} ({_why(exc)})"]
    return []


def _deepest_only(failed: list[str]) -> list[str]:
    """A directory that could not go because something in it could not is not news: each failure once,
    at the path that caused it (rmtree reports the file, then every directory above it as not empty)."""
    paths = [f.rsplit(" (", 1)[0] for f in failed]
    out = []
    for entry, path in zip(failed, paths, strict=True):
        below = any(p != path and p.startswith(path.rstrip("/") + "/") for p in paths)
        if below and entry.endswith("(Directory not empty)"):
            continue
        out.append(entry)
    return out
