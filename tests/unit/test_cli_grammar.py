"""One CLI grammar (issue 41), checked on the real command tree — every command registered, as
`dockerctl --help` and shell completion see it: reports take `--format table|json` and its alias
`--json`; a lab host is `--lab-host NAME` and only the root has `--host`; "also other owners'" is
`--any-owner`; every exit code is listed in the root help; `--version` names the engine API."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from dockerctl.cli.app import register
from dockerctl.cli.output import Format, wants_json
from dockerctl.engines.signals import Interrupted
from dockerctl.errors import EXIT_CODES, ExitCode, InvalidInput

ROOT = Path(__file__).resolve().parents[2]

# commands whose stdout is not a report, and why (each says so in its help, or is a fixed format)
NOT_REPORTS = {
    "exporter": "a server: /metrics in the Prometheus text format",
    "plugin serve": "a server: the engine's plugin protocol",
    "graph": "a picture: DOT, SVG or HTML",
    "playbook schema": "a JSON Schema document, the only form",
    "net inspect": "the engine's JSON, the only form",
    "vol inspect": "the engine's JSON, the only form",
    "completion": "a shell script",
}


def _commands() -> dict[str, Any]:
    """Every leaf command of the tree, by its words ("vol ls")."""
    root = typer.main.get_command(register())
    found: dict[str, Any] = {}

    def walk(cmd: Any, words: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*words, name))
        else:
            found[" ".join(words)] = cmd

    walk(root, ())
    return found


def _options(cmd: Any, *, hidden: bool = True) -> dict[str, Any]:
    """Its options by every name (typer carries its own copy of click: duck-typed, not isinstance)."""
    return {
        name: p
        for p in cmd.params
        if p.param_type_name == "option" and (hidden or not p.hidden)
        for name in (*p.opts, *p.secondary_opts)
    }


COMMANDS = _commands()


def test_the_tree_is_complete() -> None:
    """The walk sees the lazily registered commands: a handful that must be there."""
    assert {"limits", "vol ls", "net create", "down", "cleanup", "completion", "bench net"} <= COMMANDS.keys()
    assert NOT_REPORTS.keys() <= COMMANDS.keys()


@pytest.mark.parametrize("words", sorted(COMMANDS))
def test_every_report_command_has_format_and_its_json_alias(words: str) -> None:
    opts = _options(COMMANDS[words], hidden=False)
    if words in NOT_REPORTS:
        assert "--format" not in opts and "--json" not in opts, (
            f"{words} is not a report: {NOT_REPORTS[words]}"
        )
        return
    assert "--format" in opts, f"`dockerctl {words}` prints a report but has no --format"
    fmt = opts["--format"]
    assert fmt.type_descriptor.annotation is Format and [f.value for f in Format] == ["table", "json"]
    assert "--json" in opts and opts["--json"].is_flag, f"`dockerctl {words}` has --format but not --json"
    assert opts["--json"].help == "Same as --format json."
    # one declaration: every command's pair is the shared one (same help, same order: --format, --json)
    names = [n for p in COMMANDS[words].params if p.param_type_name == "option" for n in p.opts]
    assert names.index("--json") == names.index("--format") + 1


@pytest.mark.parametrize("words", sorted(COMMANDS))
def test_no_command_but_the_root_has_host_and_lab_hosts_are_lab_host(words: str) -> None:
    opts = _options(COMMANDS[words])
    assert "--host" not in opts and "-H" not in opts, f"`dockerctl {words}`: a lab host is --lab-host NAME"
    for name, opt in opts.items():
        if "lab host" in (opt.help or "").lower():
            assert name == "--lab-host", f"`dockerctl {words} {name}` names a lab host: call it --lab-host"


@pytest.mark.parametrize("words", sorted(COMMANDS))
def test_other_owners_are_any_owner_only(words: str) -> None:
    for name, opt in _options(COMMANDS[words]).items():
        text = (opt.help or "").lower()
        means_other_owners = "did not make" in text or "not only dockerctl's" in text
        if means_other_owners:
            assert name == "--any-owner", f"`dockerctl {words} {name}` means other owners': --any-owner"
        if name == "--all":
            assert words == "mounts", f"`dockerctl {words} --all`: only `mounts --all` (all mounts) has it"


def test_the_root_keeps_its_engine_url_option() -> None:
    root = typer.main.get_command(register())
    host = _options(root)["--host"]
    assert "-H" in host.opts and host.envvar == "DOCKER_HOST"


def test_every_exit_code_is_in_the_root_help() -> None:
    done = CliRunner().invoke(register(), ["--help"], prog_name="dockerctl", terminal_width=78)
    assert done.exit_code == 0
    epilog = done.output.split("Exit codes:", 1)[1]
    listed = {int(m.group(1)): m.group(2) for m in re.finditer(r"^\s*(\d+)\s+(.+)$", epilog, re.M)}
    assert listed == {int(code): EXIT_CODES[code] for code in ExitCode}
    assert {130, 143} <= listed.keys()


def test_the_reference_pages_exit_code_table_is_the_enum() -> None:
    """docs/reference.md's table has a row for every code dockerctl gives, and no other."""
    page = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    table = page.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {int(m.group(1)) for m in re.finditer(r"^\| (\d+) \|", table, re.M)}
    assert rows == {int(code) for code in ExitCode}


def test_signals_exit_with_their_documented_codes() -> None:
    import signal

    assert Interrupted(signal.SIGINT).exit_code == ExitCode.INTERRUPTED == 130
    assert Interrupted(signal.SIGTERM).exit_code == ExitCode.TERMINATED == 143


def test_format_and_json_mean_the_same_and_contradictions_are_refused() -> None:
    assert wants_json(Format.json, False) and wants_json(None, True) and wants_json(Format.json, True)
    assert not wants_json(None, False) and not wants_json(Format.table, False)
    with pytest.raises(InvalidInput) as refused:
        wants_json(Format.table, True)
    assert refused.value.where == "--json"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
        check=False,
    )


def test_a_json_report_is_one_document_on_stdout_by_either_spelling() -> None:
    playbook = str(ROOT / "playbooks" / "limits.yaml")
    by_format = _cli("playbook", "validate", playbook, "--format", "json")
    by_alias = _cli("playbook", "validate", playbook, "--json")
    table = _cli("playbook", "validate", playbook)
    assert by_format.returncode == by_alias.returncode == table.returncode == 0, by_format.stderr
    assert by_format.stdout == by_alias.stdout
    assert json.loads(by_format.stdout)["playbook"] == "limits" and by_format.stderr == ""
    with pytest.raises(json.JSONDecodeError):
        json.loads(table.stdout)
    clash = _cli("playbook", "validate", playbook, "--format", "table", "--json")
    assert clash.returncode == 2 and clash.stdout == ""
    assert clash.stderr.startswith("dockerctl: error: --json:")


def test_version_names_the_engine_api_without_importing_docker() -> None:
    import docker.constants

    code = (
        "import sys; sys.argv = ['dockerctl', '--version']\n"
        "from dockerctl.entry import main\nmain()\nprint('docker' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "False"  # answered before docker-py (~0.3 s of imports) is loaded
    assert lines[:-1] == [
        f"dockerctl {__import__('dockerctl').__version__}",
        f"engine API: {docker.constants.DEFAULT_DOCKER_API_VERSION} "
        f"(oldest accepted: {docker.constants.MINIMUM_DOCKER_API_VERSION})",
        f"docker-py: {importlib.metadata.version('docker')}",
    ]
    # the CLI's own --version (past a root option) says the same
    assert _cli("-H", "unix:///nowhere.sock", "--version").stdout == "\n".join(lines[:-1]) + "\n"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_a_command_for_real(tmp_path: Path) -> None:
    """The script `dockerctl completion bash` prints, sourced in bash, completes `dockerctl li<TAB>` by
    calling dockerctl back as bash would (COMP_WORDS/COMP_CWORD): every command must be registered."""
    script = _cli("completion", "bash")
    assert script.returncode == 0 and "complete " in script.stdout, script.stderr
    (tmp_path / "dockerctl.bash").write_text(script.stdout)
    wrapper = tmp_path / "bin" / "dockerctl"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\ncd "{ROOT}" && exec "{sys.executable}" -m dockerctl "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    probe = (
        f'source "{tmp_path / "dockerctl.bash"}"\n'
        "complete -p dockerctl >/dev/null || exit 3\n"
        "COMP_WORDS=(dockerctl li); COMP_CWORD=1; _dockerctl_completion dockerctl\n"
        'echo "command: ${COMPREPLY[*]}"\n'
        "COMP_WORDS=(dockerctl vol prune --any); COMP_CWORD=3; _dockerctl_completion dockerctl\n"
        'echo "option: ${COMPREPLY[*]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{wrapper.parent}:{os.environ['PATH']}"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["command: limits", "option: --any-owner"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_prints_the_other_shells_scripts(shell: str) -> None:
    done = _cli("completion", shell)
    assert done.returncode == 0 and "_DOCKERCTL_COMPLETE=complete_" + shell in done.stdout
    assert _cli("completion", "tcsh").returncode == 2


@pytest.mark.parametrize("words", ["down", "cleanup"])
def test_down_and_cleanup_keep_volumes_unless_volumes(words: str) -> None:
    volumes = _options(COMMANDS[words])["--volumes"]
    assert volumes.opts == ["--volumes", "-v"] and volumes.default is False
    assert "kept" in (volumes.help or "")
    assert not _options(COMMANDS[words], hidden=False).keys() & {"--keep-volumes"}
