"""What several commands share, declared once: the note/list lines under a report, the declared
arguments and options (one help text wherever they appear), groups and report subcommands."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from dockerctl.cli import render
from dockerctl.cli._args import group
from dockerctl.cli.app import register
from dockerctl.cli.output import report_command


def test_lines_escapes_each_text_after_its_prefix_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    render.lines(["first [bold]x[/bold]", "second"], "  - ")
    got = capsys.readouterr()
    assert got.out == "  - first [bold]x[/bold]\n  - second\n"
    assert got.err == ""


def test_lines_on_err_keeps_stdout_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    render.lines(["a [red]note[/red]"], "note: ", on_err=True)
    got = capsys.readouterr()
    assert got.out == ""
    assert got.err == "note: a [red]note[/red]\n"


def _params(words: str) -> dict[str, Any]:
    cmd: Any = typer.main.get_command(register())
    for word in words.split():
        cmd = cmd.commands[word]
    return {p.name: p for p in cmd.params}


@pytest.mark.parametrize("words", ["mounts", "ns", "net path"])
def test_running_container_argument_reads_the_same_everywhere(words: str) -> None:
    container = _params(words)["container"]
    assert container.required and container.help == "Container name or id (running)."


@pytest.mark.parametrize("words", ["play", "graph", "playbook validate"])
def test_playbook_argument_reads_the_same_everywhere(words: str) -> None:
    file = _params(words)["file"]
    assert file.required and file.help == "The playbook (YAML)."


@pytest.mark.parametrize(
    ("words", "what"),
    [("net rm", "networks"), ("vol rm", "volumes"), ("vol ls", "volumes"), ("rm", "containers")],
)
def test_any_owner_is_one_flag_off_by_default(words: str, what: str) -> None:
    flag = _params(words)["any_owner"]
    assert flag.opts == ["--any-owner"] and flag.default is False
    assert flag.help == f"Also {what} dockerctl did not make."


@pytest.mark.parametrize(("words", "what"), [("net rm", "Network"), ("vol rm", "Volume")])
def test_rm_of_a_labelled_group_is_one_command(words: str, what: str) -> None:
    params = _params(words)
    assert params["names"].nargs == -1 and params["names"].help == f"{what} names."
    assert {"names", "any_owner", "output_format", "json_alias"} <= set(params)


def test_report_command_registers_a_report_on_the_group() -> None:
    app = group("A group for the test.")
    seen: list[bool] = []

    @report_command(app, "show")
    def show(json_out: bool = False) -> None:
        """Say what was asked."""
        seen.append(json_out)

    @app.command("other")
    def other() -> None:  # a second command, so that the group stays a group
        """Unused."""

    runner = CliRunner()
    assert runner.invoke(app, ["show", "--format", "json"]).exit_code == 0
    assert runner.invoke(app, ["show", "--json"]).exit_code == 0
    assert runner.invoke(app, ["show"]).exit_code == 0
    assert seen == [True, True, False]
    assert getattr(show, "__dockerctl_report__", False)
    listed = runner.invoke(app, [])  # a group given alone shows its help
    assert "A group for the test." in listed.output and "show" in listed.output
