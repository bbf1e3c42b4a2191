"""Property test for playbooks (issue 37): generated playbooks — valid ones and broken ones, including
YAML-level breakage (anchors, merge keys, nulls, odd tags, deep nesting, alias bombs) — never end in a
traceback or a hang; a refused one is InvalidInput whose `where` is FILE:LINE (a line of the file) and
whose message names the field or what is wrong. Seeded (derandomize) so a failure reproduces."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerctl.errors import InvalidInput
from dockerctl.spec.playbook import load_playbook

SCALARS = st.sampled_from(
    [
        "64M",
        "1X",
        "0",
        "-1",
        "-80",
        "99999",
        "8080",
        "12345678901234567890123456789",
        ".inf",
        "-.inf",
        ".nan",
        "1e300",
        "0.5",
        "true",
        "yes",
        "~",
        "",
        "''",
        '"a;$(id)"',
        '"<script>"',
        '"a\\nb"',
        "0-99999999999",
        "0-1",
        "/../../etc/passwd",
        "/dev/vda:10mb",
        "not-a-subnet",
        "0.0.0.0/0",
        "172.31.5.0/24",
        "ssh://-oProxyCommand=id",
        "!reset 1",
        "!override 2",
        "!foo x",
        "!!str 5",
        "!!int x",
        "!!python/name:os.system",
        "[1, 2]",
        "{a: 1}",
        "*undefined",
    ]
)
CONTAINER_KEYS = st.sampled_from(
    [
        "image",
        "memory",
        "memory_swap",
        "cpus",
        "cpu_shares",
        "cpuset_cpus",
        "pids_limit",
        "blkio_weight",
        "publish",
        "ip",
        "hostname",
        "networks",
        "volumes",
        "device_write_bps",
        "device_read_iops",
        "network_mode",
        "labels",
        "command",
        "colour",
    ]
)
NAMES = st.sampled_from(["web", "db", "a;$(id)", "<script>", "x y", "Web", "0", "yes", "80", "-x"])


@st.composite
def container(draw: st.DrawFn) -> str:
    keys = draw(st.lists(CONTAINER_KEYS, max_size=4, unique=True))
    body = ", ".join(f"{k}: {draw(SCALARS)}" for k in keys)
    return "{" + body + "}" if draw(st.booleans()) else ("" if not keys else "{" + body + "}")


@st.composite
def playbook(draw: st.DrawFn) -> str:
    out = ["version: 1", f"name: {draw(st.sampled_from(['lab', 'Lab', 'a;b', '']))}"]
    if draw(st.booleans()):
        out.append("x-base: &base {memory: " + draw(SCALARS) + ", cpus: " + draw(SCALARS) + "}")
    out.append("containers:")
    for name in draw(st.lists(NAMES, max_size=3)):
        merge = draw(st.sampled_from(["", "<<: *base, ", "<<: [*base], ", "<<: 5, "]))
        body = draw(container())
        if merge and body.startswith("{"):
            body = "{" + merge + body[1:]
        elif merge:
            body = "{" + merge.rstrip(", ") + "}"
        out.append(f"  {name}: {body}")
    if draw(st.booleans()):
        out.append("networks: {front: {subnet: " + draw(SCALARS) + "}}")
    if draw(st.booleans()):
        out.append("volumes: {data:}")
    if draw(st.booleans()):
        out.append("hosts: {far: {kind: remote, url: " + draw(SCALARS) + "}}")
    if draw(st.booleans()):
        out.append("expect:\n  - {claim: O2, published: {container: web, port: " + draw(SCALARS) + "}}")
    breakage = draw(
        st.sampled_from(
            [
                "",
                "bomb",
                "deep",
                "deep-block",
                "tab",
                "dup",
                "doc",
                "tag",
                "unclosed",
                "nul",
                "many-aliases",
            ]
        )
    )
    text = "\n".join(out) + "\n"
    if breakage == "bomb":
        levels = draw(st.integers(min_value=2, max_value=9))
        text += "x-a0: &a0 [x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"x-a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, levels)
        )
    elif breakage == "deep":
        n = draw(st.integers(min_value=1, max_value=20000))
        text += "x-deep: " + "[" * n + "]" * draw(st.integers(min_value=0, max_value=n)) + "\n"
    elif breakage == "deep-block":
        text += "x-deep:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(draw(st.integers(1, 120))))
    elif breakage == "tab":
        text += "\tcontainers: {}\n"
    elif breakage == "dup":
        text += "version: 1\n"
    elif breakage == "doc":
        text += "---\nversion: 1\n"
    elif breakage == "tag":
        text += (
            "x-t: "
            + draw(st.sampled_from(["!x 1", "!!set {a}", "!!binary aGk=", "!!timestamp 2001-01-01"]))
            + "\n"
        )
    elif breakage == "unclosed":
        text += "x-u: {a: [1, 2\n"
    elif breakage == "nul":
        text += 'x-n: "\x00"\n'
    elif breakage == "many-aliases":
        text += "x-m: &m 1\nx-l: [" + ",".join(["*m"] * draw(st.integers(900, 1100))) + "]\n"
    return text


@settings(
    derandomize=True,  # the same cases every run: a failure reproduces
    max_examples=400,
    deadline=2000,  # ms, for a slow 2-core machine; each case is also timed below
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=playbook())
def test_generated_playbooks_read_or_are_refused_at_file_line(text: str, tmp_path: Path) -> None:
    path = tmp_path / "gen.yaml"
    path.write_text(text)
    started = time.monotonic()
    try:
        load_playbook(path)
    except InvalidInput as exc:
        where = exc.where or ""
        file, _, line = where.rpartition(":")
        assert file == str(path), where
        assert line.isdigit() and 1 <= int(line) <= text.count("\n") + 1, where
        assert exc.message.strip(), "an error says what is wrong"
    assert time.monotonic() - started < 1.0, f"took {time.monotonic() - started:.2f}s"


@settings(
    derandomize=True,
    max_examples=150,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(
        ["memory", "cpus", "cpu_shares", "pids_limit", "blkio_weight", "cpuset_cpus", "ip", "hostname"]
    ),
    value=SCALARS,
)
def test_a_refused_container_field_is_named_at_its_line(field: str, value: str, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(f"version: 1\nname: lab\ncontainers:\n  web:\n    {field}: {value}\n")
    try:
        load_playbook(path)
    except InvalidInput as exc:
        if exc.message.startswith(("tag ", "alias ", "not valid YAML")):  # what is wrong is the YAML itself
            assert exc.where == f"{path}:5"
            return
        assert exc.where == f"{path}:5", (exc.where, exc.message)
        assert f"containers.web.{field}" in exc.message, exc.message
