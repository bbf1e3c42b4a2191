"""Where a picture or a page is written: the flag's target checked before any work (suffix, directory,
writable), and the write itself as one sentence when it fails."""

from __future__ import annotations

from pathlib import Path

from dockerctl.errors import InvalidInput

SUFFIXES = (".svg", ".html", ".dot")


def check_target(path: Path, flag: str, suffixes: tuple[str, ...] = SUFFIXES) -> None:
    """Before any work: the suffix is one that is written, and its directory is there and writable."""
    if path.suffix.lower() not in suffixes:
        raise InvalidInput(
            f"{path}: give a name ending in {' or '.join(suffixes)}",
            where=flag,
            hint=f"e.g. {flag} lab{suffixes[0]}",
        )
    parent = path.resolve().parent
    if not parent.is_dir():
        raise InvalidInput(f"the directory {parent} does not exist", where=flag, hint="create it first")
    probe = parent / f".{path.name}.dockerctl-probe"
    try:
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise InvalidInput(f"cannot write to {parent}: {exc.strerror}", where=flag) from None


def write_text(path: Path, text: str, flag: str) -> None:
    try:
        path.write_text(text)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", where=flag) from None
