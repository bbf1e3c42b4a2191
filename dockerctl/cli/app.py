"""The root command: global options, command groups, and the one place errors become exit codes."""

from __future__ import annotations

import functools
import importlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker.errors
import requests.exceptions
import typer

from dockerctl.cli import completion, render
from dockerctl.engines.client import translate
from dockerctl.engines.signals import Interrupted, install_handlers
from dockerctl.entry import started, version_text
from dockerctl.errors import DockerctlError, ExitCode, InvalidInput, exit_code_table
from dockerctl.spec.fields import flag_of

app = typer.Typer(
    name="dockerctl",
    help="Check that what the Docker engine says it set — limits, namespaces, networks, mounts — is what "
    "the kernel enforces: each verdict with its evidence (cgroup files, /proc, iptables, traffic), for "
    "operators on a host and for CI. Labs from playbooks and compose projects are built, proved and torn "
    "down; audit and the exporter watch an engine you already run. (It began as a container course's "
    "exercises.)\n\n"
    "Reports print as a table or, with --format json (--json), one JSON document on stdout; errors go "
    "to stderr, one line, and the exit code says which (below).\n\n"
    "Examples:\n\n"
    "  dockerctl doctor\n\n"
    "  dockerctl run --name web -m 100M --verify dockerctl/base\n\n"
    "  dockerctl audit --format json\n\n"
    "  dockerctl cleanup",
    epilog="\b\nExit codes:\n" + exit_code_table(),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would print the client and the environment
    add_completion=False,
    rich_markup_mode=None,  # help texts quote docker syntax like [IP:]PORT[/tcp|udp]: plain text, not markup
)


@dataclass
class Globals:
    host: str | None


def _version(value: bool) -> None:
    if value:
        typer.echo(version_text(), nl=False)
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None,
        "--host",
        "-H",
        envvar="DOCKER_HOST",
        help="Engine to talk to: unix:///path (default: the local socket), ssh://[USER@]HOST[:PORT] "
        "(its kernel is read over ssh), or tcp://HOST:PORT (engine only: kernel checks say they cannot "
        "be verified from here).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version, the engine API version it speaks and docker-py's (no engine asked).",
    ),
) -> None:
    ctx.obj = Globals(host=host)


# command name → (module under dockerctl.cli, attribute, a group?, click context settings), in the order
# --help lists them. Only the invoked command's module is imported (each pulls in docker-py, pydantic and
# the layers below it, ~0.1-0.3 s); an unknown name, or none, registers them all for the help and the
# "no such command" answer.
_COMMANDS: dict[str, tuple[str, str, bool, dict[str, Any] | None]] = {
    "doctor": ("doctor", "doctor", False, None),
    # like `docker run`, option parsing stops at IMAGE: everything after it is the container's command
    "run": ("run", "run", False, {"allow_interspersed_args": False}),
    "limits": ("limits", "limits", False, None),
    "update": ("limits", "update", False, None),
    "prove": ("prove", "prove", False, None),
    "mounts": ("mounts", "mounts", False, None),
    "ns": ("ns", "ns", False, None),
    "rm": ("volumes", "rm_container", False, None),
    "cp": ("copy", "cp", False, None),
    "vol": ("volumes", "app", True, None),
    "net": ("net", "app", True, None),
    "swarm": ("net", "swarm_app", True, None),
    "volume-container": ("volume_container", "app", True, None),
    "play": ("play", "play_cmd", False, None),
    "down": ("down", "down_cmd", False, None),
    "tour": ("play", "tour", False, None),
    "graph": ("graph", "graph", False, None),
    "compose": ("compose", "app", True, None),
    "audit": ("audit", "audit", False, None),
    "top": ("top", "top", False, None),
    "exporter": ("top", "exporter", False, None),
    "playbook": ("play", "playbook_app", True, None),
    "hosts": ("hosts", "app", True, None),
    "cleanup": ("cleanup", "cleanup", False, None),
    "image": ("image", "app", True, None),
    "plugin": ("plugin", "app", True, None),
    "bench": ("bench", "app", True, None),
    "completion": ("completion", "completion", False, None),
}
_registered: set[str] = set()


def register(names: list[str] | None = None) -> typer.Typer:
    """Add these commands (all when None) to the app, importing only their modules; → the app."""
    for name in _COMMANDS if names is None else names:
        if name in _registered:
            continue
        module, attr, group, settings = _COMMANDS[name]
        target = getattr(importlib.import_module(f"dockerctl.cli.{module}"), attr)
        if group:
            _mark_commands(target)
            app.add_typer(target, name=name)
        else:
            app.command(name, context_settings=settings)(_marked(target))
        _registered.add(name)
    return app


_begun: list[str] = []  # the command whose own function started: before that, nothing was done


def _marked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, noting when it starts: a signal before then stopped a run that had done nothing."""
    if getattr(fn, "__dockerctl_marked__", False):
        return fn

    @functools.wraps(fn)  # typer reads the signature and the annotations through __wrapped__
    def begun(*args: Any, **kwargs: Any) -> Any:
        _begun.append(fn.__name__)
        return fn(*args, **kwargs)

    begun.__dockerctl_marked__ = True  # type: ignore[attr-defined]
    return begun


def _mark_commands(group: typer.Typer) -> None:
    for info in group.registered_commands:
        if info.callback is not None:
            info.callback = _marked(info.callback)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _mark_commands(sub.typer_instance)


def invoked(argv: list[str]) -> str | None:
    """The command these arguments name, past the root's own options (--host/-H take a value); None
    when there is none or it is not one of dockerctl's."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--host", "-H"):
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return a if a in _COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: domain errors become one line on stderr and a documented exit code.

    Typer keeps its standalone handling (usage errors exit 2, --help, Exit); only DockerctlError and
    Ctrl-C are caught here, so no traceback reaches the user for anything dockerctl anticipates. Once
    the run is over, signals are ignored: a SIGTERM that arrives while the interpreter shuts down has
    nothing left to clean up and must not turn a finished run into one killed by a signal.
    """
    install_handlers()  # Ctrl-C and SIGTERM clean up what the run made, then end it
    code: int | str | None = int(ExitCode.OK)
    try:
        _main(argv)
    except SystemExit as done:
        code = done.code
    except Interrupted as stop:  # it came after the run's own handlers: between the end and here
        code = stop.exit_code
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(code)


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        name = None if completion.answering() else invoked(args)  # completing needs every command
        register([name] if name else None)  # inside: a signal while its modules load is one line too
        started()  # the imports are done: the collector runs again
        app(args=args, prog_name="dockerctl")
    except DockerctlError as exc:
        if isinstance(exc, InvalidInput) and exc.where is None:
            exc.where = flag_of(exc.field)  # blame the flag the bad field came from
        # escape: messages quote user input and patterns like [a-z], which rich would take for markup
        render.err.print(
            f"[red]dockerctl: error:[/red] {render.escape(str(exc))}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(int(exc.exit_code))
    except Interrupted as stop:  # what the run did is said by the code that knows (engines/signals.py)
        if stop.outcome is None and not _begun:
            stop.outcome = "nothing was done"
        said = f"; {stop.outcome}" if stop.outcome else ""
        render.err.print(f"dockerctl: stopped by {stop}{said}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(stop.exit_code)
    except KeyboardInterrupt:
        render.err.print("dockerctl: interrupted", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        # a docker-py call that escaped engine_call (the engine went away mid-command): one sentence
        translated = translate(exc, "finish the command")
        render.err.print(f"dockerctl: error: {translated}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(int(translated.exit_code))
    sys.exit(int(ExitCode.OK))
