"""`top` on IO and memory as the kernel and `docker stats` see them: a direct writer under
--device-write-bps runs at its throttle, which top shows beside the rate; memory usage agrees with
`docker stats` within its sampling error; the exporter gives the bytes under cAdvisor's name."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import docker
from prometheus_client.parser import text_string_to_metric_families

from dockerctl.hosts.local import LocalHost
from dockerctl.observe.devices import resolve_block_device

from .test_exporter_live import _get, _start_exporter, _stop

LIMIT = 8 * 2**20  # bytes/s


def _top(*names: str) -> dict[str, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "top", "--once", "--json", "--interval", "2", *names],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {str(r["name"]): r for r in json.loads(done.stdout)}


def _bytes(text: str) -> float:
    """`docker stats`' '1.793MiB' → bytes."""
    m = re.match(r"([\d.]+)\s*([KMGT]?i?B)", text.strip())
    assert m, text
    return float(m.group(1)) * {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[m.group(2)]


def test_top_shows_io_against_its_throttle_and_memory_as_docker_stats(
    engine: docker.DockerClient, base_image: str, disk: str
) -> None:
    key = resolve_block_device(LocalHost(), disk).key
    writer = engine.containers.run(
        base_image,
        ["sh", "-c", "while :; do dd if=/dev/zero of=/tmp/f bs=1M count=32 oflag=direct 2>/dev/null; done"],
        detach=True,
        device_write_bps=[{"Path": disk, "Rate": LIMIT}],
        labels={"dctl-test": "top-io"},
    )
    quiet = engine.containers.run(
        base_image, ["sh", "-c", "head -c 20m /dev/zero | tail > /dev/null; sleep 600"], detach=True,
        mem_limit="64m", labels={"dctl-test": "top-io"},
    )  # fmt: skip
    try:
        time.sleep(2)  # the writer under way
        rows = _top(str(writer.name), str(quiet.name))
        io = {d["device"]: d for d in rows[str(writer.name)]["io"]}  # type: ignore[attr-defined]
        held = Path(f"/sys/fs/cgroup/blkio/docker/{writer.id}/blkio.throttle.write_bps_device").read_text()
        assert held.split() == [key, str(LIMIT)]  # the kernel's throttle, read here
        dev = io[key]
        assert dev["write_limit_bps"] == LIMIT
        # the throttle bites: the rate sits at it (a direct writer on this disk runs far faster unthrottled)
        assert 0.3 * LIMIT < dev["write_bps"] <= 1.15 * LIMIT, dev
        assert rows[str(quiet.name)]["io"] == [] or all(
            not d["write_bps"] and not d["write_limit_bps"]
            for d in rows[str(quiet.name)]["io"]  # type: ignore[attr-defined]
        )
        # memory usage as `docker stats` reports it, a moment apart (its usage leaves out inactive file pages)
        stats = subprocess.run(
            ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", str(quiet.name)],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        used, limit = (_bytes(x) for x in stats.split("/"))
        mine = _top(str(quiet.name))[str(quiet.name)]
        assert limit == mine["memory_limit_bytes"] == 64 * 2**20
        assert abs(float(mine["memory_usage_bytes"]) - used) < 4 * 2**20, (mine, stats)  # type: ignore[arg-type]
        # the exporter: the writer's bytes per device under cAdvisor's name, between two reads of the file
        served = Path(f"/sys/fs/cgroup/blkio/docker/{writer.id}/blkio.throttle.io_service_bytes")

        def written() -> int:
            return next(
                int(x.split()[2]) for x in served.read_text().splitlines() if x.startswith(f"{key} Write")
            )

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        exporter = _start_exporter(port)
        try:
            low = written()
            text = _get(f"http://127.0.0.1:{port}/metrics")
            high = written()
        finally:
            _stop(exporter)
        major, minor = key.split(":")
        family = next(
            f for f in text_string_to_metric_families(text) if f.name == "container_blkio_device_usage"
        )
        got = [
            x.value for x in family.samples
            if x.labels["name"] == writer.name and x.labels["operation"] == "Write"
            and (x.labels["major"], x.labels["minor"]) == (major, minor)
        ]  # fmt: skip
        assert len(got) == 1 and low <= got[0] <= high and got[0] > 0, (low, got, high)
    finally:
        writer.remove(force=True)
        quiet.remove(force=True)
