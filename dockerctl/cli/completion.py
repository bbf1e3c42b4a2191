"""`dockerctl completion bash|zsh|fish`: the shell's completion script on stdout, as `docker completion`
prints it. The script calls dockerctl back with _DOCKERCTL_COMPLETE set; app.py registers every command
for that call (the lazy registration would otherwise know none)."""

from __future__ import annotations

from enum import StrEnum

import typer

COMPLETE_VAR = "_DOCKERCTL_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(shell: Shell = typer.Argument(..., help="bash, zsh or fish.")) -> None:
    """Print the shell completion script (a script, not a report: no --format).

    Examples:

      source <(dockerctl completion bash)

      dockerctl completion zsh > "${fpath[1]}/_dockerctl"

      dockerctl completion fish > ~/.config/fish/completions/dockerctl.fish
    """
    from typer._completion_shared import get_completion_script

    # `shell` picks one of typer's script templates by name; nothing is run
    script = get_completion_script(prog_name="dockerctl", complete_var=COMPLETE_VAR, shell=shell.value)  # nosec B604
    typer.echo(script)


def answering() -> bool:
    """Whether this run is the shell asking for completions (the script's call back). Then typer's
    completion classes are put in place (its own --install-completion would do it; dockerctl has none)."""
    import os

    if not os.environ.get(COMPLETE_VAR):
        return False
    from typer._completion_classes import completion_init

    completion_init()
    return True
