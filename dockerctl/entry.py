"""The `dockerctl` command's entry: signals are handled from the first instant, before the (slower)
imports of the CLI — an interrupt while starting up ends the run with one line, never a traceback."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _early(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("dockerctl: interrupted while starting; nothing was done\n")
    os._exit(143 if signum == signal.SIGTERM else 130)


def _written_help(argv: list[str]) -> str | None:
    """`dockerctl [COMMAND …] --help`: the text cli/helptext.py wrote down, which is what the CLI would
    print (help is at most 80 columns wide; a narrower terminal gets the CLI itself). None: ask the CLI."""
    args = argv[1:]
    if not args or args[-1] != "--help" or any(a.startswith("-") for a in args[:-1]):
        return None
    if os.path.basename(argv[0]) != "dockerctl" or os.environ.get("DOCKERCTL_HELP_CACHE") == "0":
        return None
    import shutil

    if shutil.get_terminal_size().columns < 80:
        return None
    import json

    try:
        with open(os.path.join(os.path.dirname(__file__), "help.json"), encoding="utf-8") as f:
            texts = json.load(f)
    except (OSError, ValueError):
        return None
    text = texts.get(" ".join(args[:-1]))
    return text if isinstance(text, str) else None


def main() -> None:
    signal.signal(signal.SIGINT, _early)
    signal.signal(signal.SIGTERM, _early)
    if sys.argv[1:] == ["--version"]:  # answered before the CLI's imports (docker, rich, pydantic)
        from dockerctl import __version__

        sys.stdout.write(f"dockerctl {__version__}\n")
        return
    text = _written_help(sys.argv)
    if text is not None:
        sys.stdout.write(text)
        return
    from dockerctl.cli.app import main as run

    run()
