"""What the pages show is what dockerctl does (issue 41): README.md and every docs/**/*.md, by the pages'
convention.

- A fenced block marked `console`: a line starting with `$ ` (or `# `, needs root) is a command; the lines
  after it, up to the next command or the block's end, are what a real run printed, where `…` on a line
  of its own stands for lines left out and `…` inside a line for any text. Each block's commands run in
  order, as `python -m dockerctl …` from this checkout (piped, so 160 columns as the CLI lays out piped
  output), in an environment made for the block (below), and each shown line must still be in the output,
  in order (whitespace runs compared as one space: a table's column widths follow what else is on the
  engine). A failure names the page:line of the command and of the first shown line that no longer
  matches.
- A fenced block marked `sh`: every `dockerctl …` line is checked, without running it, to be accepted by
  the CLI's parser — the command path exists, every flag exists and takes its value, and the files it
  names (positional paths, `-f/--file`) exist, relative to the checkout.

The environment of a console block: the containers named in its commands from ENVIRONMENT (made from
dockerctl/base with the docker SDK, unlabelled as a user's `docker run` leaves them; `batch` after one OOM
kill) and the compose project of examples/compose/shop (Docker Compose v2) when a command names it; the
block's own `docker run` lines run with a label of this test's, `docker compose … up` of the shop is
provided by the environment. After the block, everything the environment made, every labelled container,
every container a `dockerctl run --name X` of the block made (X created during the block) and the lab of
each `dockerctl play FILE --keep` (`down FILE --volumes`) are removed.
A resource of that name that is already on the engine and not this test's is never touched: the block is
skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer
from typer import _click as click  # typer 0.29 carries its own click: its commands are these classes
from typer.core import TyperArgument

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "dockerctl/base:latest"
SHOP = "examples/compose/shop/compose.yaml"
SHOP_PROJECT = "dctl-shop"
TEST_LABEL = "dockerctl-docs-test"
WIDTH = "160"  # the CLI's layout when its output is piped (dockerctl/cli/render.py)


# ---------------------------------------------------------------------------------------------- pages


def pages() -> list[Path]:
    docs = ROOT / "docs"
    return [ROOT / "README.md", *sorted(docs.rglob("*.md"))] if docs.is_dir() else [ROOT / "README.md"]


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"


@dataclass(frozen=True)
class Shown:
    line: int
    text: str


@dataclass
class Command:
    where: str  # page:line of the command
    text: str  # without the prompt, continuation lines joined
    output: list[Shown] = field(default_factory=list)


@dataclass
class Block:
    where: str
    lang: str
    commands: list[Command]


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


def blocks(path: Path, text: str | None = None) -> list[Block]:
    """The `console` and `sh` blocks of a page, each line with its line number."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3)
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence[0] * len(fence)):
            j += 1
        body = [
            (n + 1, lines[n][len(indent) :] if lines[n].startswith(indent) else lines[n])
            for n in range(start, j)
        ]
        if lang == "console":
            found.append(Block(where(path, i + 1), lang, _console(path, body)))
        elif lang == "sh":
            found.append(Block(where(path, i + 1), lang, _sh(path, body)))
        i = j + 1
    return found


def _joined(body: list[tuple[int, str]], k: int, first: str) -> tuple[str, int]:
    """A command with its `\\` continuation lines joined; → (text, index of the next line)."""
    text = first
    while text.endswith("\\") and k + 1 < len(body):
        k += 1
        text = text[:-1].rstrip() + " " + body[k][1].strip()
    return text, k + 1


def _console(path: Path, body: list[tuple[int, str]]) -> list[Command]:
    commands: list[Command] = []
    k = 0
    while k < len(body):
        number, line = body[k]
        if line.startswith(("$ ", "# ")):
            text, k = _joined(body, k, line[2:].strip())
            commands.append(Command(where(path, number), text))
            continue
        if commands and line.strip():
            commands[-1].output.append(Shown(number, line))
        k += 1
    return commands


def _sh(path: Path, body: list[tuple[int, str]]) -> list[Command]:
    commands: list[Command] = []
    k = 0
    while k < len(body):
        number, line = body[k]
        text, k = _joined(body, k, line.strip())
        for prefix in ("$ ", "sudo "):
            text = text.removeprefix(prefix)
        if text.startswith("dockerctl ") or text == "dockerctl":
            commands.append(Command(where(path, number), text))
    return commands


def all_blocks(lang: str) -> list[Block]:
    return [b for page in pages() for b in blocks(page) if b.lang == lang and b.commands]


# ------------------------------------------------------------------------------------------- matching


def _pattern(shown: str) -> re.Pattern[str]:
    """A shown line as a pattern: whitespace runs are one space, `…` any text (the spaces around it too)."""
    parts = [re.escape(p.strip()) for p in " ".join(shown.split()).split("…")]
    return re.compile(r"\s*" + r"\s*.*?\s*".join(parts) + r"\s*")


def mismatch(command: Command, output: str) -> str | None:
    """None when every shown line is in the output in order; else what no longer matches, with where."""
    got = [" ".join(line.split()) for line in output.splitlines()]
    pos = 0
    for shown in command.output:
        if shown.text.strip() == "…":
            continue
        pattern = _pattern(shown.text)
        hit = next((n for n in range(pos, len(got)) if pattern.fullmatch(got[n])), None)
        if hit is None:
            page = command.where.rsplit(":", 1)[0]
            later = any(pattern.fullmatch(g) for g in got[:pos])
            return (
                f"{page}:{shown.line}: `{command.text}` ({command.where}) no longer prints this line"
                + (" after the ones shown before it" if later else "")
                + f":\n    {shown.text.strip()}\n--- what it printed ---\n{output}"
            )
        pos = hit + 1
    return None


# --------------------------------------------------------------------------------------- the parser


def _cli() -> Any:
    from dockerctl.cli.app import app, register

    register()
    return typer.main.get_command(app)


def refused(text: str) -> str | None:
    """None when the CLI's parser accepts this `dockerctl …` line and the files it names exist; else why."""
    try:
        argv = shlex.split(text, comments=True)
    except ValueError as exc:
        return f"does not split as a shell line: {exc}"
    if "|" in argv:
        argv = argv[: argv.index("|")]
    for i, token in enumerate(argv):
        if token in (">", ">>", "&&", ";", "2>&1"):
            argv = argv[:i]
            break
    cmd: Any = _cli()
    ctx: Any = None
    args = argv[1:]
    name = "dockerctl"
    try:
        while True:
            ctx = cmd.make_context(name, list(args), parent=ctx)
            missing = _missing_files(cmd, ctx)
            if missing:
                return missing
            if not hasattr(cmd, "resolve_command"):  # a command, not a group
                return None
            rest = [*ctx._protected_args, *ctx.args]
            if not rest:
                return None if cmd.invoke_without_command else f"`{name}` needs a command"
            sub_name, sub, args = cmd.resolve_command(ctx, rest)
            if sub is None or sub_name is None:
                return f"no command {rest[0]!r} under `{name}`"
            cmd, name = sub, sub_name
    except click.core.Exit:  # --help, --version: accepted
        return None
    except click.ClickException as exc:
        return exc.format_message()


def _missing_files(cmd: Any, ctx: Any) -> str | None:
    for param in cmd.params:
        named_file = isinstance(param, TyperArgument) or param.name in ("file", "files")
        if not named_file:
            continue
        value = ctx.params.get(param.name or "")
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if isinstance(v, Path) and not (v if v.is_absolute() else ROOT / v).exists():
                return f"names {v}, which does not exist in the checkout"
    return None


# ---------------------------------------------------------------------------------------- environment

# containers the pages' examples name, as a user's `docker run` makes them (after `docker run -d --name N`)
ENVIRONMENT: dict[str, list[str]] = {
    "web": ["-m", "64m", "--pids-limit", "50", "--read-only", IMAGE, "sleep", "1d"],
    "agent": ["--network", "host", "-v", "/var/run:/hostrun", IMAGE, "sleep", "1d"],
    "batch": ["-m", "16m", "--memory-swap", "16m", IMAGE, "sh", "-c", "tail /dev/zero; sleep 1d"],
}


# docker commands a console block may run: they act on the containers the block names (a `docker run` is
# labelled as this test's and removed after); anything wider (stack deploy, network or volume commands,
# prune) would reach beyond the block and belongs in an sh block
DOCKER_VERBS = frozenset({"run", "update", "exec", "kill", "stop", "start", "inspect", "logs", "wait"})


def _docker() -> Any:
    import docker

    return docker.from_env()


def _compose() -> list[str]:
    from dockerctl.engines.compose_cli import find_compose

    found = find_compose()
    if found is None:
        pytest.skip("Docker Compose v2 is not here (scripts/setup installs it)")
    return list(found.argv)


def _names_shop(text: str) -> bool:
    return SHOP in text or f"-p {SHOP_PROJECT}" in text or f"--project-name {SHOP_PROJECT}" in text


class Environment:
    """What one console block's commands need, made before and removed after, only what this test made."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.token = uuid.uuid4().hex[:10]
        self.client = _docker()
        self.made_shop = False
        self.before = {c.id for c in self.client.containers.list(all=True, sparse=True)}

    def words(self) -> set[str]:
        out: set[str] = set()
        for c in self.block.commands:
            try:
                out.update(shlex.split(c.text, comments=True))
            except ValueError:
                out.update(c.text.split())
        return out

    def prepare(self) -> None:
        for name in sorted(self.words() & ENVIRONMENT.keys()):
            self._container(name)
        if any(_names_shop(c.text) for c in self.block.commands):
            compose = _compose()
            up = subprocess.run(
                [*compose, "-p", SHOP_PROJECT, "ps", "-a", "-q"], capture_output=True, text=True, check=False
            )
            if up.stdout.strip():
                pytest.skip(f"compose project {SHOP_PROJECT} is already up on this engine (not this test's)")
            self.made_shop = True
            subprocess.run(
                [*compose, "-f", SHOP, "up", "-d", "--pull", "never", "--quiet-pull"],
                cwd=ROOT,
                capture_output=True,
                check=True,
                timeout=180,
            )

    def _container(self, name: str) -> None:
        import docker.errors

        try:
            self.client.containers.get(name)
        except docker.errors.NotFound:
            pass
        else:
            pytest.skip(f"a container named {name} is already on this engine (not this test's)")
        subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--name",
                name,
                "--label",
                f"{TEST_LABEL}={self.token}",
                *ENVIRONMENT[name],
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
        if name == "batch":  # the page shows it after its first OOM kill: wait for the kernel's count
            self._wait_oom(name)

    def _wait_oom(self, name: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ctr = self.client.containers.get(name)
            path = Path(f"/sys/fs/cgroup/memory/docker/{ctr.id}/memory.oom_control")
            events = Path(f"/sys/fs/cgroup/system.slice/docker-{ctr.id}.scope/memory.events")
            text = next((p.read_text() for p in (path, events) if p.exists()), "")
            if re.search(r"^oom_kill [1-9]", text, re.M):
                return
            time.sleep(0.2)

    def run(self, command: Command) -> str:
        text = command.text
        if text.startswith("docker compose") and _names_shop(text) and " up" in f" {text}":
            return ""  # made by prepare(), as the page shows it made
        try:
            argv = shlex.split(text, comments=True)
        except ValueError as exc:
            pytest.fail(f"{command.where}: `{text}` does not split as a shell line: {exc}")
        stages = _stages(argv)
        first = stages[0]
        if first[0] == "dockerctl":
            first = [sys.executable, "-m", "dockerctl", *first[1:]]
        elif first[:2] == ["docker", "run"]:
            first = ["docker", "run", "--label", f"{TEST_LABEL}={self.token}", *first[2:]]
        elif first[0] != "sleep" and (
            first[0] != "docker" or first[1:2] == [] or first[1] not in DOCKER_VERBS
        ):
            pytest.fail(
                f"{command.where}: `{text}`: a console block runs dockerctl, sleep and docker "
                f"{'/'.join(sorted(DOCKER_VERBS))} (on the containers it names); put others in an sh block"
            )
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        env["COLUMNS"] = WIDTH
        return _pipeline([first, *stages[1:]], env)

    def remove(self) -> None:
        import docker.errors

        words = self.words()
        for ctr in self.client.containers.list(all=True, sparse=True):
            labels = ctr.attrs.get("Labels") or {}
            name = (ctr.attrs.get("Names") or ["/"])[0].lstrip("/")
            ours = labels.get(TEST_LABEL) == self.token
            made_here = ctr.id not in self.before and name in words and "io.dockerctl.managed" in labels
            if ours or made_here:
                with contextlib.suppress(docker.errors.NotFound):
                    self.client.api.remove_container(ctr.id, force=True, v=True)
        if self.made_shop:
            subprocess.run(
                [*_compose(), "-f", SHOP, "down", "-v", "-t", "0"], cwd=ROOT, capture_output=True, check=False
            )
        for playbook in self.kept_labs():  # `play FILE --keep` leaves its lab up: take exactly that one down
            subprocess.run(
                [sys.executable, "-m", "dockerctl", "down", playbook, "--volumes"],
                cwd=ROOT,
                capture_output=True,
                check=False,
                timeout=600,
            )

    def kept_labs(self) -> list[str]:
        kept: list[str] = []
        for c in self.block.commands:
            try:
                argv = shlex.split(c.text, comments=True)
            except ValueError:
                continue
            if argv[:2] == ["dockerctl", "play"] and "--keep" in argv and len(argv) > 2:
                kept.append(next(a for a in argv[2:] if not a.startswith("-")))
        return kept


def _stages(argv: list[str]) -> list[list[str]]:
    stages: list[list[str]] = [[]]
    for token in argv:
        if token == "|":
            stages.append([])
        else:
            stages[-1].append(token)
    return stages


def _pipeline(stages: list[list[str]], env: dict[str, str]) -> str:
    """The stages as a shell would pipe them, without a shell; → what the last one printed (stdout and
    stderr, as a terminal shows both)."""
    procs: list[subprocess.Popen[bytes]] = []
    feed: Any = subprocess.DEVNULL
    for n, argv in enumerate(stages):
        last = n == len(stages) - 1
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=feed,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if last or n == 0 else subprocess.DEVNULL,
        )
        if procs and procs[-1].stdout is not None:
            procs[-1].stdout.close()
        procs.append(proc)
        feed = proc.stdout
    out, _ = procs[-1].communicate(timeout=300)
    for proc in procs[:-1]:
        proc.wait(timeout=60)
    return out.decode("utf-8", "replace")


@pytest.fixture
def environment(request: pytest.FixtureRequest) -> Iterator[Environment]:
    env = Environment(request.param)
    try:
        env.prepare()
        yield env
    finally:
        env.remove()


# -------------------------------------------------------------------------------------------- tests

CONSOLE = all_blocks("console")
SH = [c for b in all_blocks("sh") for c in b.commands]


def test_the_readme_shows_commands_with_their_output() -> None:
    shown = [b for b in CONSOLE if b.where.startswith("README.md:")]
    assert shown, "README.md has no console block: the quick start shows real runs"
    assert any(c.output for b in shown for c in b.commands)


@pytest.mark.parametrize("environment", CONSOLE, ids=[b.where for b in CONSOLE], indirect=True)
def test_console_block_prints_what_the_page_shows(environment: Environment) -> None:
    for command in environment.block.commands:
        output = environment.run(command)
        problem = mismatch(command, output)
        assert problem is None, problem


@pytest.mark.parametrize("command", SH, ids=[f"{c.where} {c.text[:60]}" for c in SH])
def test_sh_command_is_accepted_by_the_cli(command: Command) -> None:
    problem = refused(command.text)
    assert problem is None, f"{command.where}: `{command.text}` — {problem}"


# the checker itself, on pages made up here: it must be able to fail, and say where


def test_a_changed_line_is_named_with_its_page_and_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "intro\n```console\n$ dockerctl doctor\nkernel read on: this machine\n…\n12 supported…\n```\n"
    )
    (block,) = blocks(page)
    (command,) = block.commands
    assert command.where.endswith("page.md:3")
    assert mismatch(command, "kernel read on: this machine\nx\n12 supported; not supported: y\n") is None
    problem = mismatch(command, "kernel read on: that machine\n12 supported\n")
    assert problem is not None
    assert "page.md:4:" in problem and "kernel read on: this machine" in problem


def test_shown_lines_must_come_in_order(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("```console\n# dockerctl audit\nb\na\n```\n")
    (command,) = blocks(page)[0].commands
    assert mismatch(command, "a\nb\n") is not None
    assert mismatch(command, "b\n  a  \n") is None  # whitespace runs are one space


def test_the_parser_check_refuses_unknown_flags_commands_and_files() -> None:
    assert refused("dockerctl doctor --no-links") is None
    assert refused("dockerctl compose verify -f examples/compose/shop/compose.yaml") is None
    assert "--no-such-flag" in (refused("dockerctl doctor --no-such-flag") or "")
    assert "frobnicate" in (refused("dockerctl frobnicate") or "")
    assert "does not exist" in (refused("dockerctl play playbooks/no-such.yaml") or "")
    assert "does not exist" in (refused("dockerctl compose verify -f nowhere/compose.yaml") or "")
