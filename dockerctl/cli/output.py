"""The output grammar every report command shares, declared once: `--format table|json` (default
table) and `--json`, its alias, as `docker … --format json` habits expect. A JSON report is one document
on stdout; errors stay on stderr.

A command takes them with `@report` (a group's subcommand with `@report_command(app, name)`) and keeps
one parameter of its own, `json_out: bool = False`, which the decorator fills from the two flags (the
flags themselves never reach the command's body)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from dockerctl.errors import InvalidInput


class Format(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        help="table (for people; the default) or json (one document on stdout, for scripts).",
        case_sensitive=False,
        show_default=False,
    ),
]
JsonAlias = Annotated[bool, typer.Option("--json", help="Same as --format json.")]

# the parameters @report adds, in the order --help lists them (last, after the command's own)
_FLAGS: dict[str, tuple[Any, Any]] = {"output_format": (FormatOption, None), "json_alias": (JsonAlias, False)}

F = TypeVar("F", bound=Callable[..., None])


def wants_json(output_format: Format | None, json_alias: bool) -> bool:
    """What the two flags ask for; `--format table --json` contradict each other (exit 2)."""
    if json_alias and output_format is Format.table:
        raise InvalidInput(
            "--json is --format json: it contradicts --format table", where="--json", hint="give one of them"
        )
    return json_alias or output_format is Format.json


def report(fn: F) -> F:
    """Give a command `--format table|json` and `--json`, in place of its own `json_out` parameter (which
    must be there, with a plain default): the command is called with `json_out=True` for JSON."""
    own = inspect.signature(fn, eval_str=True)
    if "json_out" not in own.parameters:
        raise TypeError(f"{fn.__name__} has no json_out parameter for @report to fill")
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in own.parameters.values()
        if p.name != "json_out"
    ]
    params += [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
        for n, (a, d) in _FLAGS.items()
    ]

    @functools.wraps(fn)
    def command(**kwargs: Any) -> None:
        kwargs["json_out"] = wants_json(kwargs.pop("output_format"), kwargs.pop("json_alias"))
        fn(**kwargs)

    command.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    command.__dockerctl_report__ = True  # type: ignore[attr-defined]
    return command  # type: ignore[return-value]


def report_command(group: typer.Typer, name: str) -> Callable[[F], F]:
    """`@report_command(app, "ls")`: a report subcommand of `group`, that is `@app.command("ls")` over
    `@report` — the pair every one of them carried, in one step."""

    def register(fn: F) -> F:
        command = report(fn)
        group.command(name)(command)
        return command

    return register
