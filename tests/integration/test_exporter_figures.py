"""`dockerctl exporter` on loopback, scraped as Prometheus does, for a container run with `--cpuset-cpus
0-1 --cpu-shares 512 -m 32m` (issue 38): the dockerctl_limit_asked / _kernel figures are the numbers the
kernel files hold — 2 CPUs for the set "0-1" (read as 0 from the check's text before), 512 shares, the
memory in bytes, +Inf for the pids limit nobody set — checked against the cgroup files read here."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.kernel import read, wait_gone
from tests.integration.test_exporter_live import _stop

ROOT = Path(__file__).parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:  # loopback only
        return str(r.read().decode())


@pytest.fixture
def exporter() -> Iterator[int]:
    """A real exporter process on a free loopback port; stopped (SIGTERM) and waited for afterwards."""
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "exporter", "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if "dockerctl_containers_seen" in _scrape(port):
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the exporter did not answer within 60 s"
            time.sleep(0.3)
        yield port
    finally:
        _stop(proc)  # as the exporter's own tests end it
        wait_gone(proc.pid)


def test_a_cpuset_and_cpu_shares_are_exported_as_the_kernel_holds_them(
    engine: docker.DockerClient, base_image: str, lab: str, exporter: int
) -> None:
    if (engine.info().get("NCPU") or 0) < 2:
        pytest.skip("--cpuset-cpus 0-1 needs two CPUs")
    name = f"{lab}-figures"
    container = engine.containers.run(
        base_image, ["sleep", "600"], name=name, detach=True, labels={"io.dockerctl.lab": lab},
        cpuset_cpus="0-1", cpu_shares=512, mem_limit="32m",
    )  # fmt: skip
    try:
        container.reload()
        pid = int(container.attrs["State"]["Pid"])
        # the kernel, read here (not through dockerctl's reader)
        assert read(pid, "cpuset", "cpuset.cpus") == "0-1"
        assert read(pid, "cpu", "cpu.shares") == "512"
        memory = int(read(pid, "memory", "memory.limit_in_bytes"))
        assert memory == 32 * 2**20

        figures: dict[tuple[str, str], float] = {}
        for family in text_string_to_metric_families(_scrape(exporter)):
            if family.name in ("dockerctl_limit_asked", "dockerctl_limit_kernel", "dockerctl_limit_holds"):
                for s in family.samples:
                    if s.labels.get("name") == name:
                        figures[(family.name, s.labels["limit"])] = s.value
        asked = {k[1]: v for k, v in figures.items() if k[0] == "dockerctl_limit_asked"}
        kernel = {k[1]: v for k, v in figures.items() if k[0] == "dockerctl_limit_kernel"}
        holds = {k[1]: v for k, v in figures.items() if k[0] == "dockerctl_limit_holds"}
        assert asked["cpuset"] == kernel["cpuset"] == 2.0, figures
        assert asked["cpu shares"] == kernel["cpu shares"] == 512.0, figures
        assert asked["memory"] == kernel["memory"] == float(memory), figures
        assert asked["pids"] == kernel["pids"] == math.inf and read(pid, "pids", "pids.max") == "max"
        assert holds["cpuset"] == holds["cpu shares"] == holds["memory"] == 1.0, figures
    finally:
        container.remove(force=True)
