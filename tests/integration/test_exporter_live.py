"""`dockerctl exporter` scraped by a real Prometheus (Debian's, started here on loopback with its own data
directory and stopped afterwards): Prometheus's HTTP API returns the figures the containers really have,
checked against their cgroup files read here; the shipped alert rule fires for an OOM-killed container;
`top --once --json` reads the same kernel."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.kernel import read, v1_memory_dir, wait_gone

B = "dockerctl/base:latest"
RULES = Path(__file__).parents[2] / "examples" / "prometheus" / "dockerctl.rules.yml"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:  # loopback only
        body = r.read().decode()
    return json.loads(body) if body.startswith("{") else body


def _until(what: str, probe: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what} (last: {last!r})")


def _start_exporter(port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "exporter", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _until(
        "the exporter answers",
        lambda: "dockerctl_containers_seen" in _get(f"http://127.0.0.1:{port}/metrics"),
    )
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def stack(tmp_path: Path, engine: docker.DockerClient, base_image: str) -> Iterator[dict[str, Any]]:
    """Containers with something to show, the exporter, and a Prometheus scraping it every second."""
    t = uuid.uuid4().hex[:6]
    names = {k: f"ex{t}-{k}" for k in ("hog", "burner", "plain", "weight")}
    made: list[str] = []
    procs: list[subprocess.Popen[str]] = []
    try:

        def run(key: str, *flags: str, cmd: tuple[str, ...] = ("sleep", "600")) -> None:
            subprocess.run(
                ["docker", "run", "-d", "--name", names[key], *flags, B, *cmd],
                check=True,
                capture_output=True,
            )
            made.append(names[key])

        run("hog", "-m", "16m", "--memory-swap", "16m", cmd=("sh", "-c", "tail /dev/zero; sleep 600"))
        run("burner", "--cpus", "0.2", cmd=("sh", "-c", "while :; do :; done"))
        run("plain", "-m", "64m")
        subprocess.run([sys.executable, "-m", "dockerctl", "run", "--lab", f"ex{t}", "--name", names["weight"],
                        "--blkio-weight", "300", B], check=True, capture_output=True)  # fmt: skip
        made.append(names["weight"])
        port, prom_port = _port(), _port()
        procs.append(_start_exporter(port))
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: [{RULES}]\n"
            f"scrape_configs:\n  - job_name: dockerctl\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        )
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        procs.append(prom)
        api = f"http://127.0.0.1:{prom_port}/api/v1"
        _until("Prometheus is ready", lambda: _get(f"http://127.0.0.1:{prom_port}/-/ready"))
        yield {"names": names, "api": api, "port": port, "procs": procs}
    finally:
        for p in procs:
            pid = p.pid
            _stop(p)
            wait_gone(pid)
        for name in made:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def _query(api: str, promql: str) -> list[dict[str, Any]]:
    data = _get(f"{api}/query?query={urllib.parse.quote(promql)}")
    assert data["status"] == "success", data
    return list(data["data"]["result"])


def _value(api: str, promql: str) -> float | None:
    found = _query(api, promql)
    return float(found[0]["value"][1]) if found else None


def _pid(engine: docker.DockerClient, name: str) -> int:
    return int(engine.containers.get(name).attrs["State"]["Pid"])


def test_prometheus_sees_what_the_kernel_holds(stack: dict[str, Any], engine: docker.DockerClient) -> None:
    api, n = stack["api"], stack["names"]
    # an OOM kill, as the kernel counts it
    oom = _until(
        "the hog's OOM kill is scraped",
        lambda: _value(api, f'dockerctl_oom_kills_total{{name="{n["hog"]}"}}'),
    )
    memory = v1_memory_dir(_pid(engine, n["hog"]))
    assert oom == float((memory / "memory.oom_control").read_text().split("oom_kill ")[1].split()[0]) >= 1
    # throttling under --cpus 0.2
    throttled = _until("the burner's throttling is scraped", lambda: _value(
        api, f'container_cpu_cfs_throttled_periods_total{{name="{n["burner"]}"}} > 0'))  # fmt: skip
    now = int(read(_pid(engine, n["burner"]), "cpu", "cpu.stat").split("nr_throttled ")[1].split()[0])
    assert 0 < throttled <= now  # the kernel's counter only grows after the scrape
    # a limit changed with docker update is seen on the next scrape
    limit = f'container_spec_memory_limit_bytes{{name="{n["plain"]}"}}'
    assert _until("the plain limit", lambda: _value(api, limit)) == 64 * 2**20
    engine.containers.get(n["plain"]).update(mem_limit="48m", memswap_limit="96m")
    _until("the updated limit is scraped", lambda: _value(api, limit) == 48 * 2**20)
    holds = f'dockerctl_limit_holds{{name="{n["plain"]}",limit="memory"}}'
    assert _until("the plain memory verdict", lambda: _query(api, holds))[0]["value"][1] == "1"
    # a block-IO weight the kernel does not hold (dockerctl's label keeps what was asked)
    weight = f'dockerctl_limit_holds{{name="{n["weight"]}",limit="blkio weight"}}'
    assert _until("the weight's verdict", lambda: _query(api, weight))[0]["value"][1] == "0"
    asked = _value(api, f'dockerctl_limit_asked{{name="{n["weight"]}",limit="blkio weight"}}')
    assert asked == 300

    # the shipped alert rule fires for the OOM-killed container, in Prometheus's own rules API
    def firing() -> list[dict[str, Any]]:
        groups = _get(f"{api}/rules?type=alert")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"] if r["name"] == "DockerctlOOMKilled"]
        return [
            a
            for r in rules
            for a in r["alerts"]
            if a["state"] == "firing" and a["labels"]["name"] == n["hog"]
        ]

    assert _until("DockerctlOOMKilled fires", firing)
    loaded = {r["name"]: r for g in _get(f"{api}/rules")["data"]["groups"] for r in g["rules"]}
    assert {"DockerctlLimitNotHeld", "DockerctlCPUThrottled", "DockerctlEngineDown"} <= set(loaded)
    assert all(r["health"] == "ok" for r in loaded.values()), loaded  # each evaluated without an error
    assert loaded["DockerctlEngineDown"]["state"] == "inactive"  # the engine answers every scrape
    assert (_value(api, "dockerctl_containers_seen") or 0) >= 4


def test_the_oom_counter_survives_an_exporter_restart(
    stack: dict[str, Any], engine: docker.DockerClient
) -> None:
    port, n = stack["port"], stack["names"]

    def count() -> float | None:
        text = _get(f"http://127.0.0.1:{port}/metrics")
        found = [
            ln for ln in text.splitlines()
            if ln.startswith("dockerctl_oom_kills_total{") and f'name="{n["hog"]}"' in ln
        ]  # fmt: skip
        return float(found[0].rsplit(" ", 1)[1]) if found and float(found[0].rsplit(" ", 1)[1]) >= 1 else None

    before = _until("the OOM kill", count)
    exporter = stack["procs"][0]
    _stop(exporter)
    stack["procs"][0] = _start_exporter(port)
    assert count() == before  # the kernel's counter, not a count kept by the exporter


def test_top_once_reads_the_same_kernel(stack: dict[str, Any], engine: docker.DockerClient) -> None:
    n = stack["names"]
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "top", "--once", "--json", "--interval", "1", n["hog"], n["burner"], n["weight"]],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    hog, burner, weight = rows[n["hog"]], rows[n["burner"]], rows[n["weight"]]
    assert hog["oom_kills"] >= 1 and hog["memory_limit_bytes"] == 16 * 2**20
    assert burner["cpu_quota_cpus"] == 0.2 and burner["throttled_percent"] > 10  # a busy loop under 0.2 CPUs
    assert 5 <= burner["cpu_percent"] <= 40  # ~20 % of one CPU, measured over one second
    assert weight["verdicts"]["blkio weight"] == "not-enforced"
    usage = int((v1_memory_dir(_pid(engine, n["hog"])) / "memory.usage_in_bytes").read_text())
    assert abs(hog["memory_usage_bytes"] - usage) < 4 * 2**20  # read a moment apart


def test_top_as_a_person_uses_it_under_tmux(stack: dict[str, Any], tmp_path: Path) -> None:
    """The live view in a real terminal (tmux): it shows the containers and their verdicts, refreshes in
    place, highlights what changed (the burner's CPU figures), and quits cleanly on `q`."""
    n = stack["names"]
    session = f"dctltop{uuid.uuid4().hex[:6]}"
    status = tmp_path / "status"
    # the terminal's own size, as a person's shell has it (not COLUMNS/LINES the test runner may export)
    cmd = f"env -u COLUMNS -u LINES {sys.executable} -m dockerctl top --interval 0.5 {n['burner']} {n['weight']}; echo $? > {status}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "220", "-y", "40", cmd], check=True)

    def screen(escapes: bool = False) -> str:
        argv = ["tmux", "capture-pane", "-p", "-t", session, *(["-e"] if escapes else [])]
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    try:
        seen: list[str] = []

        def both() -> str:
            seen.append(screen())
            return seen[-1] if n["burner"] in seen[-1] and n["weight"] in seen[-1] else ""

        try:
            shown = _until("top shows both containers", both)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{seen[-1] if seen else ''}") from None
        assert "not-enforced" in shown and "blkio weight" in shown  # the weight's verdict, on the screen
        assert "dockerctl top" in shown
        _until(
            "a changed figure is highlighted",
            lambda: any(sgr in screen(True) for sgr in ("\x1b[1m\x1b[33m", "\x1b[1;33m")),  # bold yellow
        )
        assert screen().count("dockerctl top") == 1  # refreshed in place, not scrolled
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        _until("top quits on q", lambda: status.exists() and status.read_text().strip())
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
