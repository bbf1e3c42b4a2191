"""The one YAML reader, for playbooks and compose files alike: plain data, and where each key was written.

It reads YAML 1.1 as PyYAML's safe loader and Docker Compose read it:

- anchors and aliases, each value built once (an alias is the same object as its anchor's value, as in
  PyYAML), so a billion-laughs file of a few hundred bytes is refused in milliseconds, never expanded;
- merge keys, `<<: *a` and `<<: [*a, *b]`: keys written in the mapping win over merged ones, and among a
  list of merged mappings the earlier wins (PyYAML's rule, and compose's);
- null values (`volumes: {data:}`, `web:` with nothing after it) → None;
- compose's own tags: `!reset` drops the value (the key is left out, so a merge key may supply it, as
  compose does within one file), `!override` keeps the value as written; both are recorded in
  `YamlDoc.tags` so a reader merging several files can apply them. The standard tags of YAML 1.1
  (`!!str`, `!!int` …) read as PyYAML reads them; any other tag is refused by name.

Refused, each in one sentence at FILE:LINE: a duplicate key (PyYAML would keep the last without a word),
a key that is not a string, an anchor defined twice, an alias to an anchor not yet defined or to the value
it is inside of, more than one document, and inputs past the limits below (each limit named in its error).

Two schemas (`schema=`): "pyyaml" (YAML 1.1 as PyYAML's safe loader: playbooks, dockerctl's own format,
keep it) and "compose", for compose files: plain scalars resolved as compose's YAML library (go-yaml v3,
inside compose-go) resolves them, checked against `docker compose config` itself (see
tests/unit/test_compose_differential.py) — YAML 1.2's core schema with go-yaml's own additions:

- null: empty, `~`, `null`, `Null`, `NULL`; booleans: only `true`/`True`/`TRUE` and `false`/`False`/`FALSE`
  (`yes`, `no`, `on`, `off`, `y`, `n` are text);
- integers in Go's spelling: `0x1F`, `0o17`, `017` (octal), `0b11`, a sign, `_` anywhere (`1_000`), up to
  uint64; past that, or written `1e3`, `1.`, `.5`, a float (`1e400`, which Go cannot hold, is text);
  `.inf`, `-.Inf`, `.NaN` … (three spellings each); no sexagesimal (`8080:80` is text, not 484880);
- a date or date-time in go-yaml's four layouts (`2001-12-14`, `2001-12-14T21:59:43Z`, `2001-1-2 1:2:3`)
  is a `GoTime`: text that remembers compose reads it as a time, which compose's schema refuses outside
  `x-` fields (spec/compose.py says so at its line);
- tags: a tag compose does not know is ignored (the value reads as written: a scalar as text), `!!str`,
  `!!int`, `!!float`, `!!bool`, `!!null`, `!!timestamp` resolve the value by the rules above and refuse
  one of another type in go-yaml's words, `!!binary` is decoded;
- an anchor defined again replaces the first for the aliases after it (YAML's rule, and go-yaml's).

Positions: `lines` maps every key path to the line it was written on. A value that came through an alias
or a merge key has the lines of its anchor's definition (where the user wrote it), and `via` maps its
path to the line of the alias or merge key that brought it in (the outermost one), so an error can name
both.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
import yaml.reader
import yaml.scanner
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from dockerctl.errors import InvalidInput

Path_ = tuple[str | int, ...]

MAX_BYTES = 128 * 1024  # a compose file or playbook is a few kB; libyaml reads 128 kB in well under a second
PURE_BYTES = 16 * 1024  # what libyaml refuses is read again by PyYAML's own parser (slower) up to this size
MAX_DEPTH = 64  # mappings and sequences nested in each other, counting what aliases bring in
MAX_ALIASES = 1000
MAX_VALUES = 100_000  # values of the whole document, each alias's value counted every time it is used

RESET, OVERRIDE = "!reset", "!override"
COMPOSE_TAGS = (RESET, OVERRIDE)
MERGE = "tag:yaml.org,2002:merge"
_STD = "tag:yaml.org,2002:"
_STD_TAGS = {t for t in SafeConstructor.yaml_constructors if t} | {MERGE}

Schema = Literal["pyyaml", "compose"]


# ---------------------------------------------------------------------------------------------------------
# go-yaml v3's resolver (resolve.go), as compose reads a scalar


class GoTime(str):
    """A plain scalar go-yaml reads as a time.Time (its text kept): compose's schema refuses one outside
    `x-` fields ("invalid jsonType time.Time"), and a key that is one ("non-string key")."""

    __slots__ = ()


_GO_MAP: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_GO_INT = re.compile(r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|(0[0-7]*)|([1-9][0-9]*))")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")  # Go's ParseFloat of what begins with '.'
_GO_TIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:[Tt]|(?P<sp> +))(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})(?:[.,][0-9]+)?"
    r"(?P<z>Z|[-+](?P<zh>[0-9]{2}):(?P<zm>[0-9]{2}))?)?"
)
U64 = 2**64
I64 = 2**63


def _go_time(text: str) -> bool:
    """go-yaml's parseTimestamp: Go's time.Parse with one of its four layouts (the zone only after T)."""
    m = _GO_TIME.fullmatch(text)
    if m is None:
        return False
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    if m["H"] is None:
        return True
    if m["sp"] is not None and m["z"] is not None:  # "2006-1-2 15:4:5" has no zone
        return False
    if m["sp"] is None and m["z"] is None:  # "2006-1-2T15:4:5Z07:00" needs one
        return False
    if int(m["H"]) > 23 or int(m["M"]) > 59 or int(m["S"]) > 59:
        return False
    return m["zh"] is None or (int(m["zh"]) <= 24 and int(m["zm"]) <= 60)


def _go_int(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 0, 64), else ParseUint(text, 0, 64): the integer, or None."""
    m = _GO_INT.fullmatch(text)
    if m is None:
        return None
    sign, hexa, binary, octal, zero, decimal = m.groups()
    if hexa is not None:
        n = int(hexa, 16)
    elif binary is not None:
        n = int(binary, 2)
    elif octal is not None:
        n = int(octal, 8)
    elif zero is not None:
        n = int(zero, 8)
    else:
        n = int(decimal)
    if sign == "-":
        return -n if n <= I64 else None
    if n < I64 or (not sign and n < U64):
        return n
    return None


def go_resolve(text: str, *, timestamps: bool = True) -> Any:
    """A plain scalar as go-yaml v3 resolves it: None, bool, int, float, GoTime or the text itself."""
    if text in _GO_MAP:
        return _GO_MAP[text]
    first = text[0]
    if first == ".":
        return float(text) if _GO_DOT_FLOAT.fullmatch(text) and math.isfinite(float(text)) else text
    if first not in "+-0123456789":
        return text
    if timestamps and _go_time(text):
        return GoTime(text)
    plain = text.replace("_", "")
    n = _go_int(plain)
    if n is not None:
        return n
    if _GO_FLOAT.fullmatch(plain):
        f = float(plain)
        if math.isfinite(f):  # Go's ParseFloat refuses what overflows a float64: the text stays
            return f
    return text


_GO_KIND = {type(None): "null", bool: "bool", int: "int", float: "float", GoTime: "timestamp", str: "str"}


def _go_tagged(tag: str, text: str) -> Any:
    """A scalar with one of YAML's own tags, as go-yaml v3 reads it; ValueError in go-yaml's words when
    the value is not of the tag's type."""
    short = tag.removeprefix(_STD)
    if short == "str":
        return text
    if short == "binary":
        try:
            return base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise ValueError("!!binary value contains invalid base64 data") from None
    value = go_resolve(text, timestamps=short == "timestamp")
    kind = _GO_KIND[type(value)]
    if kind == short:
        return value
    if short == "float" and kind == "int":
        return float(value)
    raise ValueError(f"cannot decode !!{kind} `{text}` as a !!{short}")


_GO_TAGS = {_STD + t for t in ("str", "binary", "int", "float", "bool", "null", "timestamp")}


class _Resolved(yaml.ScalarNode):
    """A scalar node whose value is already read (the compose schema)."""

    resolved: Any = None


class _PureLoader(yaml.SafeLoader):
    """PyYAML's own parser — what yaml.safe_load reads, where libyaml refuses (`{data:}`) — refusing
    flow collections nested past MAX_DEPTH as it scans: its scanner's work grows with the square of the
    open flow levels, so 10 000 `[` on a line would take seconds before any event reached the composer."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(
                None, None, f"nested more than {MAX_DEPTH} deep: write it flatter", self.get_mark()
            )
        super().fetch_flow_collection_start(TokenClass)


class _Alias:
    """An alias where it is used: the anchored node, and the line the alias was written on."""

    __slots__ = ("line", "target")

    def __init__(self, target: yaml.Node, line: int) -> None:
        self.target = target
        self.line = line


Child = yaml.Node | _Alias


def _line(node: Child) -> int:
    return node.line if isinstance(node, _Alias) else node.start_mark.line + 1


def _target(node: Child) -> yaml.Node:
    return node.target if isinstance(node, _Alias) else node


def _compose_tag(node: Child) -> str | None:
    return None if isinstance(node, _Alias) else getattr(node, "compose_tag", None)


@dataclass
class YamlDoc:
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)  # key path → the line it is written on
    via: dict[Path_, int] = field(default_factory=dict)  # key path → the alias / merge key line it came by
    tags: dict[Path_, str] = field(default_factory=dict)  # key path → "!reset" or "!override"


class _Composer:
    """Events → nodes, without recursion (a deeply nested input is refused at its depth, never a
    RecursionError), checking tags and the limits as it goes. Each collection's expanded size and depth
    are known when it ends (an alias's target has always ended before: one inside it is refused)."""

    def __init__(self, source: str, allowed: tuple[str, ...], schema: Schema = "pyyaml") -> None:
        self.source = source
        self.allowed = allowed
        self.schema = schema
        self.resolver: Any = Resolver()  # PyYAML's implicit tags (untyped)
        self.anchors: dict[str, yaml.Node] = {}
        self.open_anchored: set[int] = set()  # the anchored collections not yet ended
        self.size: dict[int, int] = {}
        self.depth: dict[int, int] = {}
        self.aliases = 0
        self.values = 0  # values so far, each alias's counted every time it is used

    def fail(self, message: str, line: int) -> InvalidInput:
        return InvalidInput(message, where=f"{self.source}:{line}")

    def _tag(self, event: Any, kind: type[yaml.Node], value: str | None) -> tuple[str, str | None]:
        """(the tag the node is read with, compose's tag when it has one)."""
        tag = event.tag
        line = event.start_mark.line + 1
        implicit = event.implicit if kind is yaml.ScalarNode else (True, False)
        if self.schema == "compose" and kind is not yaml.ScalarNode and tag not in COMPOSE_TAGS:
            return self.resolver.resolve(kind, None, (True, False)), None  # go-yaml: the shape decides
        if tag is None or tag == "!":
            return self.resolver.resolve(kind, value, implicit), None
        if tag in COMPOSE_TAGS:
            if tag not in self.allowed:
                raise self.fail(f"tag {tag} is compose's and has no meaning here: remove it", line)
            plain = (event.style is None, False) if kind is yaml.ScalarNode else (True, False)
            return self.resolver.resolve(kind, value, plain), tag
        if tag.startswith(_STD) and tag in _STD_TAGS:
            return tag, None
        shown = "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag
        only = " and ".join(self.allowed) if self.allowed else "none"
        raise self.fail(
            f"tag {shown} is not read here (tags allowed: {only}, and YAML's own such as !!str): remove it",
            line,
        )

    def _go_scalar(self, event: Any) -> tuple[yaml.ScalarNode, str | None]:
        """A scalar read as compose reads it (go-yaml v3): its node, with the value already resolved, and
        compose's tag when it has one."""
        tag, text, line = event.tag, event.value, event.start_mark.line + 1
        plain = not event.style  # PyYAML says None, libyaml '' for a plain scalar
        compose_tag = None
        if tag == MERGE or (tag is None and plain and text == "<<"):
            return yaml.ScalarNode(MERGE, text, event.start_mark, event.end_mark), None
        if tag in COMPOSE_TAGS:
            if tag not in self.allowed:
                raise self.fail(f"tag {tag} is compose's and has no meaning here: remove it", line)
            compose_tag, tag = tag, None
        if tag is None or tag == "!":  # go-yaml reads `!` as no tag
            value = go_resolve(text) if plain else text
        elif tag in _GO_TAGS:
            try:
                value = _go_tagged(tag, text)
            except ValueError as exc:
                raise self.fail(f"cannot read {text!r}: {exc} (as compose's YAML reads it)", line) from None
        else:
            value = text  # a tag compose does not know: go-yaml ignores it, the value is the text
        kind = "str" if isinstance(value, GoTime) else _GO_KIND[type(value)]
        node = _Resolved(_STD + kind, text, event.start_mark, event.end_mark, style=event.style)
        node.resolved = value
        return node, compose_tag

    def _anchor(self, anchor: str | None, node: yaml.Node, line: int) -> None:
        if anchor is None:
            return
        if anchor in self.anchors and self.schema == "compose":
            self.anchors[anchor] = node  # YAML's rule, and go-yaml's: the aliases after it name this one
            return
        if anchor in self.anchors:
            first = self.anchors[anchor].start_mark.line + 1
            raise self.fail(
                f"anchor &{anchor} is defined twice (first at line {first}): give each anchor its own name",
                line,
            )
        self.anchors[anchor] = node

    def _done(self, node: yaml.Node, children: list[Child]) -> None:
        size, depth = 1, 1
        for child in children:
            t = _target(child)
            size += self.size.get(id(t), 1)
            depth = max(depth, 1 + self.depth.get(id(t), 0))
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise self.fail(
                f"nested more than {MAX_DEPTH} deep (counting what aliases bring in): write it flatter", line
            )
        if size > MAX_VALUES:
            raise self.fail(
                f"holds more than {MAX_VALUES} values (each alias's value counted every time it is used): "
                "an alias bomb, or a file too large to be a playbook or compose file",
                line,
            )
        self.size[id(node)], self.depth[id(node)] = size, depth

    def count(self, added: int, line: int) -> None:
        self.values += added
        if self.values > MAX_VALUES:
            raise self.fail(
                f"holds more than {MAX_VALUES} values (each alias's value counted every time it is used): "
                "an alias bomb, or a file too large to be a playbook or compose file",
                line,
            )

    def compose(self, text: str, loader_class: Any) -> yaml.Node | None:
        loader = loader_class(text)
        try:
            return self._events(loader)
        finally:
            loader.dispose()

    def _events(self, loader: Any) -> yaml.Node | None:
        root: Child | None = None
        # the open collections: (node, its children so far, pending key of a mapping, anchored or not)
        stack: list[tuple[yaml.Node, list[Child], list[Child], bool]] = []
        documents = 0

        def add(child: Child) -> None:
            nonlocal root
            if not stack:
                root = child
                return
            node, children, pending, _ = stack[-1]
            children.append(child)
            if isinstance(node, yaml.MappingNode):
                if pending:
                    node.value.append((pending.pop(), child))
                else:
                    pending.append(child)
            else:
                node.value.append(child)

        while True:
            event: Any = loader.get_event()
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail("holds more than one YAML document (---): give one", line)
            elif isinstance(event, yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise self.fail(f"more than {MAX_ALIASES} aliases: an alias bomb, or share less", line)
                if event.anchor not in self.anchors:
                    raise self.fail(
                        f"alias *{event.anchor} names no anchor defined before it: define &{event.anchor} first",
                        line,
                    )
                if id(self.anchors[event.anchor]) in self.open_anchored:
                    raise self.fail(
                        f"alias *{event.anchor} is used inside the value it names: a value cannot hold itself",
                        line,
                    )
                self.count(self.size.get(id(self.anchors[event.anchor]), 1), line)
                add(_Alias(self.anchors[event.anchor], line))
            elif isinstance(event, yaml.ScalarEvent):
                self.count(1, line)
                if self.schema == "compose":
                    node, compose_tag = self._go_scalar(event)
                else:
                    tag, compose_tag = self._tag(event, yaml.ScalarNode, event.value)
                    start: Any = event.start_mark  # libyaml's marks or PyYAML's
                    end: Any = event.end_mark
                    node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
                if compose_tag:
                    node.compose_tag = compose_tag  # type: ignore[attr-defined]
                self._anchor(event.anchor, node, line)
                add(node)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                kind: Any = (
                    yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
                )
                self.count(1, line)
                tag, compose_tag = self._tag(event, kind, None)
                coll = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                if compose_tag:
                    coll.compose_tag = compose_tag
                self._anchor(event.anchor, coll, line)
                if event.anchor is not None:
                    self.open_anchored.add(id(coll))
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(f"nested more than {MAX_DEPTH} deep: write it flatter", line)
                stack.append((coll, [], [], event.anchor is not None))
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                coll, children, _, anchored = stack.pop()
                coll.end_mark = event.end_mark
                if anchored:
                    self.open_anchored.discard(id(coll))
                self._done(coll, children)
                add(coll)
        return _target(root) if root is not None else None


class _Builder:
    """Nodes → data and positions. Each node's value is built once (memo by node); the positions of
    every path are recorded, which is bounded by MAX_VALUES."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.doc = YamlDoc(None)
        self.memo: dict[int, Any] = {}
        self.constructor = SafeConstructor()

    def fail(self, message: str, line: int) -> InvalidInput:
        return InvalidInput(message, where=f"{self.source}:{line}")

    def scalar(self, node: yaml.Node, path: Path_ = ()) -> Any:
        if isinstance(node, _Resolved):
            return node.resolved
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            key = ".".join(str(p) for p in path)
            raise self.fail(
                (f"{key}: " if key else "")
                + f"cannot read {node.value!r} as {node.tag.removeprefix(_STD)}: {problem}",
                _line(node),
            ) from None

    def key(self, key_node: Child) -> str:
        target = _target(key_node)
        line = _line(key_node)
        if not isinstance(target, yaml.ScalarNode):
            shape = "a mapping" if isinstance(target, yaml.MappingNode) else "a list"
            raise self.fail(f"keys must be strings, got {shape}: write the key as text", line)
        key = (
            self.scalar(target)
            if isinstance(target, _Resolved) or target.tag != _STD + "str"
            else target.value
        )
        if isinstance(key, GoTime):
            raise self.fail(
                f"keys must be strings, got {key!r}, which compose's YAML reads as a date and time: quote "
                f"the key, '{key}'",
                line,
            )
        if not isinstance(key, str):
            raise self.fail(
                f"keys must be strings, got {key!r}"
                + (
                    f" (YAML reads an unquoted {target.value!r} as a boolean: quote it, '{target.value}')"
                    if isinstance(key, bool)
                    else ": quote the key"
                ),
                line,
            )
        return key

    def entries(self, node: yaml.MappingNode, path: Path_) -> list[tuple[str, int, Child, int | None]]:
        """A mapping's entries after its merge keys: (key, the line it is written on, value node, the
        line of the merge key that brought it or None). Keys written in the mapping win over merged
        ones; of merged mappings the earlier wins; a `!reset` key is left out (a merge may supply it)."""
        explicit: dict[str, tuple[str, int, Child, int | None]] = {}
        merges: list[tuple[Child, Child]] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            target = _target(key_node)
            if isinstance(target, yaml.ScalarNode) and target.tag == MERGE:
                if "<<" in seen:
                    raise self.fail(
                        f"duplicate key '<<' (first at line {seen['<<']}): give one merge key, with a list "
                        "<<: [*a, *b] to merge several",
                        _line(key_node),
                    )
                seen["<<"] = _line(key_node)
                merges.append((key_node, value_node))
                continue
            key = self.key(key_node)
            if key in seen:
                raise self.fail(f"duplicate key {key!r}: give each key once", _line(key_node))
            seen[key] = _line(key_node)
            tag = _compose_tag(value_node)
            if tag is not None:
                self.doc.tags[(*path, key)] = tag
                if tag == RESET:
                    continue
            explicit[key] = (key, _line(key_node), value_node, None)
        merged: dict[str, tuple[str, int, Child, int | None]] = {}
        for key_node, value_node in merges:
            use = _line(key_node)
            target = _target(value_node)
            sources = [value_node] if isinstance(target, yaml.MappingNode) else None
            if isinstance(target, yaml.SequenceNode):
                sources = list(target.value)
            for src in sources or [value_node]:
                src_target = _target(src)
                if not isinstance(src_target, yaml.MappingNode):
                    raise self.fail(
                        "a merge key << takes a mapping or a list of mappings (e.g. <<: *base or "
                        "<<: [*a, *b]), got "
                        + ("a list" if isinstance(src_target, yaml.SequenceNode) else "a scalar"),
                        _line(src),
                    )
                for key, line, value, _ in self.entries(src_target, path):
                    merged.setdefault(key, (key, line, value, use))
        out = [entry for key, entry in merged.items() if key not in explicit]
        return out + list(explicit.values())

    def value(self, node: Child, path: Path_, via: int | None) -> Any:
        if isinstance(node, _Alias):
            via = via if via is not None else node.line
        target = _target(node)
        self.doc.lines.setdefault(path, target.start_mark.line + 1)
        if via is not None:
            self.doc.via.setdefault(path, via)
        built = id(target) in self.memo
        if isinstance(target, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key, line, child, merged_by in self.entries(target, path):
                child_via = via if via is not None else merged_by
                self.doc.lines[(*path, key)] = line
                if child_via is not None:
                    self.doc.via.setdefault((*path, key), child_via)
                out[key] = self.value(child, (*path, key), child_via)
            result: Any = out
        elif isinstance(target, yaml.SequenceNode):
            items: list[Any] = []
            for i, child in enumerate(target.value):
                tag = _compose_tag(child)
                if tag is not None:
                    self.doc.tags[(*path, i)] = tag
                    if tag == RESET:
                        continue
                items.append(self.value(child, (*path, len(items)), via))
            result = items
        else:
            result = self.scalar(target, path)
        if built:
            return self.memo[id(target)]  # the same object each time, as PyYAML's aliases
        self.memo[id(target)] = result
        return result


def load_yaml(
    text: str, source: str, *, tags: tuple[str, ...] = COMPOSE_TAGS, schema: Schema = "pyyaml"
) -> YamlDoc:
    """Read `text` (named `source` in errors) → YamlDoc; InvalidInput at FILE:LINE for anything refused.
    tags: compose's tags to accept (the others are refused by name). schema: "pyyaml" (YAML 1.1, as
    PyYAML's safe loader: playbooks) or "compose" (as compose's go-yaml v3 reads a compose file)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        line = text[:MAX_BYTES].count("\n") + 1
        raise InvalidInput(
            f"more than {MAX_BYTES} bytes ({size}): a playbook or compose file is far smaller",
            where=f"{source}:{line}",
        )
    try:
        try:
            node = _Composer(source, tags, schema).compose(text, getattr(yaml, "CSafeLoader", _PureLoader))
        except yaml.YAMLError:
            if size > PURE_BYTES:
                raise
            node = _Composer(source, tags, schema).compose(
                text, _PureLoader
            )  # PyYAML's reading, or its error
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"{source}:{mark.line + 1}"
        elif isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow: its position
            where = f"{source}:{text[: exc.position].count(chr(10)) + 1}"
            exc = yaml.YAMLError(f"character {exc.character!r} is not allowed in YAML: {exc.reason}")
        else:
            where = f"{source}:1"
        problem = str(getattr(exc, "problem", None) or exc)
        if "nesting depth" in problem:  # libyaml's own limit, met while it looks ahead
            problem = f"nested more than {MAX_DEPTH} deep: write it flatter"
        raise InvalidInput(f"not valid YAML: {problem}", where=where) from None
    if node is None:
        return YamlDoc({})
    builder = _Builder(source)
    tag = getattr(node, "compose_tag", None)
    data = None if tag == RESET else builder.value(node, (), None)
    builder.doc.data = {} if data is None else data
    return builder.doc


def load_with_lines(text: str, source: str, *, schema: Schema = "pyyaml") -> tuple[Any, dict[Path_, int]]:
    """(data, {key path → line}): `load_yaml` for the callers that need no more."""
    doc = load_yaml(text, source, schema=schema)
    return doc.data, doc.lines


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def via_of(via: dict[Path_, int], path: Path_) -> int | None:
    """The line of the alias or merge key that brought the value at `path` (or an ancestor) in, if any."""
    while path:
        if path in via:
            return via[path]
        path = path[:-1]
    return None


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
