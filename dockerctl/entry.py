"""The `dockerctl` command's entry: signals are handled from the first instant, before the (slower)
imports of the CLI — an interrupt while starting up ends the run with one line, never a traceback.
The cyclic garbage collector waits while those imports run (see `started`)."""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType


def _early(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("dockerctl: interrupted while starting; nothing was done\n")
    os._exit(143 if signum == signal.SIGTERM else 130)  # ExitCode.TERMINATED / INTERRUPTED (not imported yet)


def _docker_constants() -> dict[str, str]:
    """docker-py's API versions (docker/constants.py), read without importing `docker` (~0.3 s: it
    loads requests, urllib3 and the whole client): its two string constants, parsed, not run."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("docker")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = os.path.join(next(iter(spec.submodule_search_locations)), "constants.py")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return {}
    wanted = ("DEFAULT_DOCKER_API_VERSION", "MINIMUM_DOCKER_API_VERSION")
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in wanted and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def version_text() -> str:
    """`dockerctl --version`: dockerctl's version, the engine API it speaks (docker-py's default) and the
    oldest it accepts, and docker-py's version — all known here, no engine asked."""
    from importlib.metadata import PackageNotFoundError, version

    from dockerctl import __version__

    try:
        docker_py = version("docker")
    except PackageNotFoundError:
        docker_py = "not installed"
    api = _docker_constants()
    return (
        f"dockerctl {__version__}\n"
        f"engine API: {api.get('DEFAULT_DOCKER_API_VERSION', 'unknown')} "
        f"(oldest accepted: {api.get('MINIMUM_DOCKER_API_VERSION', 'unknown')})\n"
        f"docker-py: {docker_py}\n"
    )


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


_paused: list[bool] = []  # main() paused the collector for the imports; `started` resumes it


def started() -> None:
    """The invoked command's modules are loaded: the cyclic collector runs again from here on, sparing
    what the imports made. While they run it is paused — they make some 300,000 objects (modules,
    classes, pydantic's validators) that live as long as the process and hold no garbage, and walking
    them again at every threshold was ~0.05 s of a ~0.45 s `play` re-apply (issue 38). gc.freeze moves
    them out of the collector's sight, so its later passes see only what the command makes."""
    if _paused:
        _paused.clear()
        gc.freeze()
        gc.enable()


def main() -> None:
    signal.signal(signal.SIGINT, _early)
    signal.signal(signal.SIGTERM, _early)
    if sys.argv[1:] == ["--version"]:  # answered before the CLI's imports (docker, rich, pydantic)
        sys.stdout.write(version_text())
        return
    text = _written_help(sys.argv)
    if text is not None:
        sys.stdout.write(text)
        return
    if gc.isenabled():
        gc.disable()
        _paused.append(True)
    from dockerctl.cli.app import main as run

    run()
