"""The root command: global options, command groups, and the one place errors become exit codes."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass

import docker.errors
import requests.exceptions
import typer
from rich.markup import escape

from dockerctl import __version__
from dockerctl.cli import (
    bench,
    cleanup,
    copy,
    doctor,
    hosts,
    image,
    limits,
    mounts,
    net,
    ns,
    play,
    plugin,
    prove,
    run,
    volume_container,
    volumes,
)
from dockerctl.cli.render import err
from dockerctl.engines.client import translate
from dockerctl.engines.signals import Interrupted, install_handlers
from dockerctl.errors import DockerctlError, ExitCode, InvalidInput
from dockerctl.spec.fields import flag_of

app = typer.Typer(
    name="dockerctl",
    help="Apply what a container course teaches to a real Docker engine — then prove it from the kernel.\n\n"
    "Examples:\n\n"
    "  dockerctl doctor\n\n"
    "  dockerctl run --name web -m 100M --verify dockerctl/base\n\n"
    "  dockerctl cleanup",
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
        typer.echo(f"dockerctl {__version__}")
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
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    ctx.obj = Globals(host=host)


app.command("doctor")(doctor.doctor)
# like `docker run`, option parsing stops at IMAGE: everything after it is the container's command
app.command("run", context_settings={"allow_interspersed_args": False})(run.run)
app.command("limits")(limits.limits)
app.command("update")(limits.update)
app.command("prove")(prove.prove)
app.command("mounts")(mounts.mounts)
app.command("ns")(ns.ns)
app.command("rm")(volumes.rm_container)
app.command("cp")(copy.cp)
app.add_typer(volumes.app, name="vol")
app.add_typer(net.app, name="net")
app.add_typer(net.swarm_app, name="swarm")
app.add_typer(volume_container.app, name="volume-container")
app.command("play")(play.play_cmd)
app.command("down")(play.down_cmd)
app.command("tour")(play.tour)
app.add_typer(play.playbook_app, name="playbook")
app.add_typer(hosts.app, name="hosts")
app.command("cleanup")(cleanup.cleanup)
app.add_typer(image.app, name="image")
app.add_typer(plugin.app, name="plugin")
app.add_typer(bench.app, name="bench")


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
    try:
        app(args=argv, prog_name="dockerctl")
    except DockerctlError as exc:
        if isinstance(exc, InvalidInput) and exc.where is None:
            exc.where = flag_of(exc.field)  # blame the flag the bad field came from
        # escape: messages quote user input and patterns like [a-z], which rich would take for markup
        err.print(
            f"[red]dockerctl: error:[/red] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True
        )
        sys.exit(int(exc.exit_code))
    except Interrupted as stop:
        err.print(f"dockerctl: stopped by {stop}; what this run had made was removed", markup=False)
        sys.exit(stop.exit_code)
    except KeyboardInterrupt:
        err.print("dockerctl: interrupted; what this run had made was removed")
        sys.exit(130)
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        # a docker-py call that escaped engine_call (the engine went away mid-command): one sentence
        translated = translate(exc, "finish the command")
        err.print(f"dockerctl: error: {translated}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(int(translated.exit_code))
    sys.exit(int(ExitCode.OK))
