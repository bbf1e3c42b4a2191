"""cgroup v2 with systemd over time (issue 40), on a Debian 12 VM host that dockerctl boots (as
tests/integration/test_vm_host.py, with a lab and host of its own so that the two never share a VM):

- `systemctl daemon-reload` turns a container's `memory.swap.max` from 0 to `max` (opencontainers/cgroups#74):
  the exporter, read by a real Prometheus on loopback, shows `dockerctl_limit_holds` 0 for it and the shipped
  alert fires; `dockerctl update` puts the limit back and the series returns to 1;
- systemd's TasksMax gives a container that asked for no pids limit `pids.max` 2308: `audit` reports it as
  "imposed", naming systemd, and does not fail on it by default;
- the exporter exports PSI with cAdvisor's names, the guest's own totals;
- dockerctl's image, moved into the guest's engine with `docker save | docker load`, audits the same kernel
  facts from a container there as `audit` run from this machine over ssh.

The VM takes minutes to boot here (software emulation); the module boots one and `down` removes it."""

from __future__ import annotations

import json
import math
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.selfimage import build_self

from .test_labs_across_hosts import STATE, cli

LAB, HOST = "drift-vm", "v2d"
SSH_CONFIG = STATE / "vm" / "ssh_config"
RULES = Path(__file__).parents[2] / "examples" / "prometheus" / "dockerctl.rules.yml"
PLAYBOOK = f"""version: 1
name: {LAB}
hosts: {{{HOST}: {{kind: vm}}}}
containers:
  noswap: {{host: {HOST}, memory: 32M, memory_swap: 32M}}
  busy: {{host: {HOST}, memory: 64M, cpus: 0.2, command: "sh -c 'while :; do :; done'"}}
"""


def guest(command: str, timeout: float = 120) -> str:
    done = subprocess.run(["ssh", "-F", str(SSH_CONFIG), f"dctl-vm-{HOST}", command], capture_output=True,
                          text=True, timeout=timeout, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=300) as r:  # loopback only  # nosec B310
        body = r.read().decode()
    return json.loads(body) if body.startswith("{") else body


def until(what: str, probe: Callable[[], Any], timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(1)
    raise AssertionError(f"not within {timeout} s: {what} (last: {last!r})")


@pytest.fixture(scope="module")
def vm(dockerctl_base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    book = tmp_path_factory.mktemp("drift") / "drift-vm.yaml"
    book.write_text(PLAYBOOK)
    try:
        up = cli("play", str(book), "--keep", "--json", timeout=3600)
        assert up.returncode == 0, up.stderr[-3000:]
        yield json.loads(up.stdout)["hosts"][HOST]
    finally:
        down = cli("down", "--lab", LAB, "--volumes", timeout=300)
        assert down.returncode == 0, down.stderr
        assert not (STATE / "vm" / "run" / HOST).exists()


def _cgroup_dir(container: str) -> str:
    line = guest(f"cat /proc/$(docker inspect -f '{{{{.State.Pid}}}}' {container})/cgroup")
    assert line.startswith("0::/system.slice/docker-") and line.endswith(".scope"), line
    return "/sys/fs/cgroup" + line.split("::", 1)[1]


@pytest.fixture(scope="module")
def watched(
    vm: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], list[dict[str, Any]]]]:
    """The exporter reading the guest (its engine and kernel over ssh) and Prometheus scraping it, both on
    loopback here, with the shipped rules (`for:` 0 s). → a PromQL query function."""
    tmp = tmp_path_factory.mktemp("prom")
    port, prom_port = _port(), _port()
    log = (tmp / "exporter.log").open("w")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dockerctl", "-H", vm, "exporter", "--listen", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=log,
        )
    ]
    try:
        # a scrape reads every container's files over ssh in a software-emulated guest: measure one, and
        # give Prometheus three times that
        until(
            "the exporter answers",
            lambda: "dockerctl_containers_seen" in _get(f"http://127.0.0.1:{port}/metrics"),
        )
        started = time.monotonic()
        _get(f"http://127.0.0.1:{port}/metrics")
        interval = max(10, math.ceil(3 * (time.monotonic() - started)))
        (tmp / "rules.yml").write_text(re.sub(r"for: \d+m", "for: 0s", RULES.read_text()))
        (tmp / "prometheus.yml").write_text(
            f"global: {{scrape_interval: {interval}s, evaluation_interval: 2s, scrape_timeout: {interval}s}}\n"
            f"rule_files: [{tmp / 'rules.yml'}]\n"
            f"scrape_configs:\n  - job_name: dockerctl\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        )
        procs.append(
            subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={tmp / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp / 'data'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        api = f"http://127.0.0.1:{prom_port}/api/v1"

        def query(promql: str) -> list[dict[str, Any]]:
            data = _get(f"{api}/query?query={urllib.parse.quote(promql)}")
            assert data["status"] == "success", data
            return list(data["data"]["result"])

        until(
            "Prometheus scrapes the exporter",
            lambda: query('up{job="dockerctl"} == 1'),
            timeout=10 * interval,
        )
        yield query
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        log.close()


def test_daemon_reload_drops_a_swap_limit_the_exporter_says_so_and_update_puts_it_back(
    vm: str, watched: Callable[[str], list[dict[str, Any]]]
) -> None:
    name = f"{LAB}-noswap"
    cg = _cgroup_dir(name)
    holds = f'dockerctl_limit_holds{{name="{name}",limit="memory+swap"}}'
    assert guest(f"cat {cg}/memory.swap.max") == "0"
    until("the limit holds before", lambda: [r for r in watched(holds) if r["value"][1] == "1"], timeout=600)
    guest("systemctl daemon-reload")
    assert guest(f"cat {cg}/memory.swap.max") == "max"  # systemd re-applied what it knows: no swap limit
    until(
        "holds 0 after the reload", lambda: [r for r in watched(holds) if r["value"][1] == "0"], timeout=600
    )
    firing = until(
        "the alert fires",
        lambda: watched(f'ALERTS{{alertname="DockerctlLimitNotHeld",alertstate="firing",name="{name}"}}'),
        timeout=600,
    )
    assert {r["metric"]["limit"] for r in firing} == {"memory+swap"}
    fixed = cli("-H", vm, "update", name, "--memory", "32M", "--memory-swap", "32M", "--verify", "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert guest(f"cat {cg}/memory.swap.max") == "0"
    until("holds 1 again", lambda: [r for r in watched(holds) if r["value"][1] == "1"], timeout=600)


def test_pressure_stall_is_exported_with_cadvisors_names(
    vm: str, watched: Callable[[str], list[dict[str, Any]]]
) -> None:
    name = f"{LAB}-busy"
    found = until(
        "PSI of the busy container",
        lambda: watched(f'container_pressure_cpu_waiting_seconds_total{{name="{name}"}} > 0'),
        timeout=600,
    )
    total = int(re.search(r"some .*total=(\d+)", guest(f"cat {_cgroup_dir(name)}/cpu.pressure")).group(1))  # type: ignore[union-attr]
    assert 0 < float(found[0]["value"][1]) <= total / 1e6  # the guest's counter, in seconds, read earlier


def test_systemds_tasks_max_is_imposed_not_a_failure(vm: str) -> None:
    name = f"{LAB}-noswap"  # asked for no pids limit
    assert guest(f"cat {_cgroup_dir(name)}/pids.max") == "2308"
    done = cli("-H", vm, "audit", "--json")
    report = json.loads(done.stdout)
    [mine] = [c for c in report["containers"] if c["name"] == name]
    imposed = [f for f in mine["findings"] if f["rule"] == "imposed"]
    assert imposed and "2308" in imposed[0]["found"] and "systemd" in imposed[0]["found"], mine["findings"]
    assert not [f for f in mine["findings"] if f["rule"] in ("mismatch", "not-enforced")], mine["findings"]
    strict = cli("-H", vm, "audit", "--fail-on", "imposed")
    assert strict.returncode == 1


def test_audit_from_the_image_in_the_guest_reads_what_audit_over_ssh_reads(vm: str) -> None:
    tag = build_self()
    with subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE) as save:
        # the guest's engine through dockerctl's ssh_config (the docker CLI's own ssh would not know the alias)
        loaded = subprocess.run(
            ["ssh", "-F", str(SSH_CONFIG), f"dctl-vm-{HOST}", "docker", "load"],
            stdin=save.stdout, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    inside = json.loads(
        guest(
            "docker run --rm --pid host --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:ro "
            f"-v /var/run/docker.sock:/var/run/docker.sock:ro {tag} audit --json || true",
            timeout=600,
        )
    )
    outside = json.loads(cli("-H", vm, "audit", "--json").stdout)

    def facts(report: dict[str, Any]) -> dict[str, list[tuple[str, ...]]]:
        return {
            c["name"]: sorted(
                (x["subject"], x["desired"], x["observed"], x["verdict"], x["evidence"]) for x in c["limits"]
            )
            for c in report["containers"]
            if c["name"].startswith(LAB)
        }

    assert facts(inside) == facts(outside) and len(facts(inside)) == 2
