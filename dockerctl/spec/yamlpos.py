"""YAML with positions: every key path → the line it is on, so errors can say FILE:LINE.

PyYAML's safe loading keeps the last of duplicate keys without a word; here a duplicate key is an error
at its line. Only plain data (mappings, sequences, scalars) is built: no tags, no Python objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dockerctl.errors import InvalidInput

Path_ = tuple[str | int, ...]


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = (
                yaml.safe_load(yaml.serialize(key_node))
                if key_node.tag != "tag:yaml.org,2002:str"
                else key_node.value
            )
            if not isinstance(key, str):
                raise InvalidInput(
                    f"keys must be strings, got {key!r}"
                    + (
                        f" (YAML reads an unquoted {key_node.value!r} as a boolean: quote it, '{key_node.value}')"
                        if isinstance(key, bool)
                        else ": quote the key"
                    ),
                    where=f"{source}:{key_node.start_mark.line + 1}",
                )
            if key in out:
                raise InvalidInput(
                    f"duplicate key {key!r}: give each key once",
                    where=f"{source}:{key_node.start_mark.line + 1}",
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def load_with_lines(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise InvalidInput(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    lines: dict[Path_, int] = {}
    if node is None:
        return {}, lines
    return _build(node, (), lines, source), lines


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def read_text(path: Path, *, what: str, hint: str | None = None, where: str | None = None) -> str:
    """A YAML file's text (UTF-8, as YAML files are); a file that cannot be read or is not UTF-8 is one
    InvalidInput naming it (and the line of the first byte that is not). where: what names the file for
    a file that cannot be read (the argument, e.g. FILE); the file itself by default."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {what} {path}: {exc.strerror}", where=where or str(path), hint=hint
        ) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})",
            where=f"{path}:{line}",
            hint=f"{what} is a YAML file in UTF-8",
        ) from None
