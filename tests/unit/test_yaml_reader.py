"""The one YAML reader (spec/yamlpos.py) for playbooks and compose files: merge keys, aliases built once,
nulls, compose's !reset / !override, other tags refused by name, limits named in their errors."""

from __future__ import annotations

import datetime
import math
import re
import time

import pytest
import yaml

from dockerctl.errors import InvalidInput
from dockerctl.spec.yamlpos import GoTime, go_resolve, load_with_lines, load_yaml


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


# What compose (go-yaml v3 in compose-go, Docker Compose v2.40.3) makes of each plain scalar, as
# `docker compose config --format json` showed it (a value in cpus / cpu_shares, an environment value, a key).
GO = [
    ("1e3", 1000.0), ("1E3", 1000.0), ("1.0e+3", 1000.0), ("1e-3", 0.001), ("1e-400", 0.0), ("+1", 1),
    ("+1.5", 1.5), (".5", 0.5), ("+.5", 0.5), ("1.", 1.0), ("08", 8.0), ("09.5", 9.5), ("1_0.5", 10.5),
    ("0o17", 15), ("017", 15), ("-0o17", -15), ("0x1F", 31), ("-0x1F", -31), ("0x_1F", 31), ("0b11", 3),
    ("-0b11", -3), ("1_000", 1000), ("1__0", 10), ("-0", 0), ("18446744073709551615", 2**64 - 1),
    ("9223372036854775808", 2**63), ("-9223372036854775809", -9.223372036854776e18),
    ("99999999999999999999", 1e20), ("true", True), ("True", True), ("TRUE", True), ("FALSE", False),
    ("~", None), ("null", None), ("Null", None), ("NULL", None), ("", None),
    # text to compose, where YAML 1.1 (PyYAML) reads a boolean, a sexagesimal number or a timestamp
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"), ("Yes", "Yes"),
    ("tRue", "tRue"), ("1:30", "1:30"), ("22:22", "22:22"), ("12:30:45", "12:30:45"), ("=", "="),
    ("0o", "0o"), ("0x", "0x"), ("0b2", "0b2"), ("1e", "1e"), ("1e400", "1e400"), ("nan", "nan"),
    ("inf", "inf"), ("2001-02-30", "2001-02-30"), ("1900-02-29", "1900-02-29"), ("2001-0-1", "2001-0-1"),
    ("20011-12-14", "20011-12-14"), ("+2001-1-1", "+2001-1-1"), ("2001-12-14 21:59", "2001-12-14 21:59"),
    ("2001-12-14T21:59:43", "2001-12-14T21:59:43"), ("2001-12-14T24:00:00Z", "2001-12-14T24:00:00Z"),
    ("2001-12-14 23:59:60", "2001-12-14 23:59:60"), ("2001-12-14T23:59:59+25:00", "2001-12-14T23:59:59+25:00"),
    ("2001-12-14T23:59:59+01:61", "2001-12-14T23:59:59+01:61"),
    ("2001-12-14 21:59:43.10 -5", "2001-12-14 21:59:43.10 -5"),
]  # fmt: skip
GO_TIMES = [
    "2001-12-14", "2001-1-2", "2000-02-29", "2001-12-14T21:59:43Z", "2001-12-14t21:59:43.10Z",
    "2001-12-14T21:59:43+01:00", "2001-12-14 21:59:43", "2001-12-14  21:59:43", "2001-1-2 1:2:3.5",
]  # fmt: skip


@pytest.mark.parametrize(("text", "value"), GO, ids=[t or "empty" for t, _ in GO])
def test_compose_schema_resolves_a_plain_scalar_as_compose_does(text: str, value: object) -> None:
    got = go_resolve(text) if text else load_yaml("a:\n", "c.yaml", schema="compose").data["a"]
    assert got == value and type(got) is type(value)
    assert not isinstance(got, GoTime)


@pytest.mark.parametrize("text", GO_TIMES)
def test_compose_schema_reads_gos_timestamp_layouts_as_times(text: str) -> None:
    assert isinstance(go_resolve(text), GoTime)
    assert go_resolve(text) == text  # the text is kept, for the error that names it


@pytest.mark.parametrize("text", [".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.Inf", ".nan", ".NaN", ".NAN"])
def test_compose_schema_reads_three_spellings_of_inf_and_nan(text: str) -> None:
    got = go_resolve(text)
    assert isinstance(got, float) and not math.isfinite(got)
    for other in (".iNf", ".Nan", "+.nan", "-.NaN", "inf", "NaN"):  # no other spelling: text
        assert go_resolve(other) == other


def test_playbooks_keep_yaml_1_1_and_compose_files_read_as_compose() -> None:
    text = "a: yes\nb: 1e3\nc: 0o17\nd: 22:22\ne: 2001-12-14\non: 1\n"
    assert load_yaml(text.replace("on: 1\n", ""), "p.yaml").data == {
        "a": True, "b": "1e3", "c": "0o17", "d": 1342, "e": datetime.date(2001, 12, 14)
    }  # fmt: skip
    doc = load_yaml(text, "c.yaml", schema="compose")
    assert doc.data == {"a": "yes", "b": 1000.0, "c": 15, "d": "22:22", "e": "2001-12-14", "on": 1}
    assert isinstance(doc.data["e"], GoTime)
    assert doc.lines[("on",)] == 6 and doc.lines[("d",)] == 4  # positions kept
    with pytest.raises(InvalidInput, match="keys must be strings"):
        load_yaml(text, "p.yaml")  # `on` is a boolean key to YAML 1.1


def test_compose_schema_tags_as_compose_reads_them() -> None:
    text = (
        "a: !foo 1e3\nb: !foo {c: 1}\nc: !!int 0o10\nd: !!float 1\ne: !!binary eA==\nf: ! 1\ng: !!str 1\n"
        "h: !!python/object/apply:os.system [id]\ni: !!set {x, y}\nj: !!timestamp 2001-12-14\nk: '1e3'\n"
    )
    data = load_yaml(text, "c.yaml", schema="compose").data
    assert data == {
        "a": "1e3", "b": {"c": 1}, "c": 8, "d": 1.0, "e": "x", "f": 1, "g": "1", "h": ["id"],
        "i": {"x": None, "y": None}, "j": "2001-12-14", "k": "1e3",
    }  # fmt: skip
    assert isinstance(data["j"], GoTime) and type(data["d"]) is float
    for bad, words in [
        ("a: !!int abc\n", "cannot decode !!str `abc` as a !!int"),
        ("a: !!bool yes\n", "cannot decode !!str `yes` as a !!bool"),
        ("a: !!int 1.5\n", "cannot decode !!float `1.5` as a !!int"),
        ("a: !!null x\n", "cannot decode !!str `x` as a !!null"),
        ("a: !!binary '!!'\n", "!!binary value contains invalid base64 data"),
        ("a: 1\nb: !reset 1\n", "tag !reset is compose's"),  # with no compose tags allowed
    ]:
        with pytest.raises(InvalidInput, match=re.escape(words)) as exc:
            load_yaml(bad, "c.yaml", schema="compose", tags=())
        assert exc.value.where == f"c.yaml:{bad.count(chr(10))}"
    with pytest.raises(InvalidInput, match="tag !foo is not read here"):
        load_yaml("a: !foo 1\n", "p.yaml")  # a playbook still refuses it by name


def test_compose_schema_reads_an_anchor_defined_again_as_yaml_says() -> None:
    doc = load_yaml(
        "a: &x {m: 1}\nb: &x {m: 2}\nc:\n  <<: *x\nd: &y [&y 1, *y]\n", "c.yaml", schema="compose"
    )
    assert doc.data["c"] == {"m": 2} and doc.data["d"] == [1, 1]
    assert doc.lines[("c", "m")] == 2 and doc.via[("c", "m")] == 4  # the second definition's line
    with pytest.raises(InvalidInput, match="anchor &x is defined twice"):
        load_yaml("a: &x 1\nb: &x 2\n", "p.yaml")  # a playbook: one name, one anchor
    with pytest.raises(InvalidInput, match="alias \\*a is used inside"):
        load_yaml("a: &a [*a]\n", "c.yaml", schema="compose")


@pytest.mark.parametrize("levels", [6, 9])
def test_compose_schema_keeps_the_limits(levels: int) -> None:
    text = "a: &a [1e3,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(levels - 1)
    )
    started = time.monotonic()
    with pytest.raises(InvalidInput, match="more than 100000 values"):
        load_yaml(text, "bomb.yaml", schema="compose")
    assert time.monotonic() - started < 0.5
    with pytest.raises(InvalidInput, match="more than 1000 aliases"):
        load_yaml("a: &a 1\nb: &a 2\nc: [" + ",".join(["*a"] * 1001) + "]\n", "c.yaml", schema="compose")
