"""The one YAML reader (spec/yamlpos.py) for playbooks and compose files: merge keys, aliases built once,
nulls, compose's !reset / !override, other tags refused by name, limits named in their errors."""

from __future__ import annotations

import time

import pytest
import yaml

from dockerctl.errors import InvalidInput
from dockerctl.spec.yamlpos import load_with_lines, load_yaml


def test_merge_keys_as_pyyaml_reads_them() -> None:
    text = "a: &a {x: 1, y: 2}\nb: &b {x: 3, z: 4}\nc:\n  <<: [*a, *b]\n  y: 9\nd:\n  <<: *b\n"
    data, lines = load_with_lines(text, "f.yaml")
    assert data == yaml.safe_load(text)
    assert data["c"] == {"x": 1, "y": 9, "z": 4}  # explicit wins; the earlier merged mapping wins
    assert lines[("c", "y")] == 5


def test_a_merged_value_names_its_definition_and_the_merge_key() -> None:
    doc = load_yaml("x: &l\n  memory: 1X\nweb:\n  <<: *l\n", "f.yaml")
    assert doc.lines[("web", "memory")] == 2  # where the value is written
    assert doc.via[("web", "memory")] == 4  # the merge key that brought it


def test_an_alias_keeps_the_alias_line_and_is_built_once() -> None:
    doc = load_yaml("a: &a {m: [1, 2]}\nb: *a\n", "f.yaml")
    assert doc.data["b"] is doc.data["a"]  # one object, as PyYAML's aliases
    assert doc.via[("b", "m")] == 2 and doc.lines[("b", "m")] == 1


def test_nulls_read_as_none() -> None:
    assert load_yaml("volumes: {data:}\nweb:\n", "f.yaml").data == {"volumes": {"data": None}, "web": None}


def test_compose_tags() -> None:
    doc = load_yaml(
        "x: &x {p: [1], e: {A: 1}}\ns:\n  <<: *x\n  p: !reset []\n  e: !override {B: 2}\n  m: !reset 1\n", "f"
    )
    assert doc.data["s"] == {"p": [1], "e": {"B": 2}}  # compose in one file: a merge may still supply p
    assert doc.tags == {("s", "p"): "!reset", ("s", "e"): "!override", ("s", "m"): "!reset"}


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("a: !foo 1\n", "tag !foo", 1),
        ("a: 1\nb: !!python/object/apply:os.system [id]\n", "tag !!python/object/apply:os.system", 2),
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a: &a [*a]\n", "alias *a is used inside", 1),
        ("a: *b\n", "alias *b names no anchor", 1),
        ("a: 1\n---\nb: 2\n", "more than one YAML document", 2),
        ("x: " + "[" * 100 + "]" * 100 + "\n", "nested more than 64 deep", 1),
        ("a: &a 1\nb: [" + ",".join(["*a"] * 1001) + "]\n", "more than 1000 aliases", 2),
        ("a: '" + "x" * 140000 + "'\n", "more than 131072 bytes", 1),
        ("a: &a [1]\nb: [*a]\n<<: 3\n", "merge key << takes a mapping", 3),
    ],
)
def test_refusals_name_the_rule_and_the_line(text: str, words: str, line: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        load_yaml(text, "f.yaml")
    assert words in exc.value.message
    assert exc.value.where == f"f.yaml:{line}"


@pytest.mark.parametrize("levels", [6, 9])
def test_alias_bombs_are_refused_at_once(levels: int) -> None:
    text = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(levels - 1)
    )
    started = time.monotonic()
    with pytest.raises(InvalidInput, match="more than 100000 values"):
        load_yaml(text, "bomb.yaml")
    assert time.monotonic() - started < 0.5


def test_deep_nesting_is_refused_fast_by_either_parser() -> None:
    for text in ("[" * 100000, "x: {a:}\n" + "[" * 16000, "- " * 50000 + "x\n"):
        started = time.monotonic()
        with pytest.raises(InvalidInput, match=r"nested more than 64 deep|not valid YAML"):
            load_yaml(text, "deep.yaml")
        assert time.monotonic() - started < 0.5
