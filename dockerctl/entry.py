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


def main() -> None:
    signal.signal(signal.SIGINT, _early)
    signal.signal(signal.SIGTERM, _early)
    if sys.argv[1:] == ["--version"]:  # answered before the CLI's imports (docker, rich, pydantic)
        from dockerctl import __version__

        sys.stdout.write(f"dockerctl {__version__}\n")
        return
    from dockerctl.cli.app import main as run

    run()
