"""The CLI imports only the invoked command's module: `down` removes a lab without loading play or the
playbook models, and the command is found past the root's own options."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dockerctl.cli.app import invoked


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["play", "lab.yaml", "--keep"], "play"),
        (["-H", "unix:///run/dctl-h1.sock", "down", "--lab", "x"], "down"),
        (["--host", "play", "down"], "down"),  # --host takes a value, even one that looks like a command
        (["--host=ssh://u@h", "net", "ls"], "net"),
        (["volume-container", "--help"], "volume-container"),
        (["pla"], None),  # not a command: all are registered, and click suggests the near one
        (["--help"], None),
        ([], None),
    ],
)
def test_the_invoked_command_is_found_past_the_root_options(argv: list[str], name: str | None) -> None:
    assert invoked(argv) == name


def test_down_loads_neither_play_nor_the_playbook_models() -> None:
    code = """
        import sys
        from dockerctl.cli.app import register
        app = register(["down"])
        import dockerctl.ops.down  # what the command runs: the lifecycle and every model's teardown
        heavy = ["dockerctl.cli.play", "dockerctl.ops.play", "dockerctl.spec.playbook", "dockerctl.spec.models",
                 "pydantic"]
        print([m for m in heavy if m in sys.modules], sorted(c.name for c in app.registered_commands))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[] ['down']"
