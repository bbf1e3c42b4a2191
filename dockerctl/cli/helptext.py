"""Every command's `--help` text, written down once so that `dockerctl … --help` is answered before the
CLI's imports (entry.py). It is exactly what the CLI prints — help is formatted to at most 80 columns, so
one rendering serves every terminal at least that wide — and a unit test regenerates it and compares, so
a stale copy fails the suite. Regenerate with `scripts/gen-help`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

FILE = "help.json"  # beside this package's __init__.py

F = TypeVar("F", bound=Callable[..., Any])


def naming_models(fn: F) -> F:
    """A command whose help names the network models: `{models}` in its docstring becomes their names
    ("a, b, c"), `{modes}` the same with each model's modes, `{a_model_path}` a path `bench net` measures
    one on — all from the registry (spec/netmodels.py), so the help never lists them by hand."""
    from dockerctl.spec import netmodels as registry

    sections = registry.sections()
    fn.__doc__ = (
        (fn.__doc__ or "")
        .replace("{models}", ", ".join(registry.names()))
        .replace("{modes}", ", ".join(f"{s.key} ({s.modes})" if s.modes else s.key for s in sections))
        .replace("{a_model_path}", next((b.path for s in sections for b in s.bench), ""))
    )
    return fn


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        if not getattr(sub, "hidden", False):
            out += _paths(sub, (*prefix, name))
    return out


def generate() -> dict[str, str]:
    """command words ("" for the root, "net cnm" …) → the help text the CLI prints for them."""
    import typer
    from typer.testing import CliRunner

    from dockerctl.cli.app import register

    app = register()

    runner = CliRunner()
    texts: dict[str, str] = {}
    for words in _paths(typer.main.get_command(app)):
        done = runner.invoke(app, [*words, "--help"], prog_name="dockerctl", terminal_width=78)
        if done.exit_code != 0:
            raise RuntimeError(f"dockerctl {' '.join(words)} --help failed: {done.output}")
        texts[" ".join(words)] = done.output
    return texts


if __name__ == "__main__":
    sys.stdout.write(json.dumps(generate(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
