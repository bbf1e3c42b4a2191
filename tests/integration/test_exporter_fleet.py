"""The exporter on every node of a swarm (issue 40): a lab of three simulated hosts in swarm mode, dockerctl's
image (built here, shipped to each engine with save/load) deployed from examples/swarm/exporter-stack.yml as
a global service, and Debian's Prometheus in a container on the overlay finding every task through swarm's
DNS (`tasks.<service>`, examples/swarm/prometheus.yml). A limit changed behind the tool's back on one node
(`docker update`) makes `dockerctl_limit_holds` 0 for that node alone and the shipped alert fires for it; one
node's engine stopped shows `up == 0` for its target while the others keep answering. The lab goes with
`dockerctl down`, the rest in the test's own `finally`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import yaml

from tests.integration.selfimage import build_self

ROOT = Path(__file__).parents[2]
STACK = ROOT / "examples" / "swarm" / "exporter-stack.yml"
PROMETHEUS = ROOT / "examples" / "swarm" / "prometheus.yml"
RULES = ROOT / "examples" / "prometheus" / "dockerctl.rules.yml"
STATE = Path(os.environ.get("DOCKERCTL_STATE_DIR", "/var/lib/dockerctl-state"))
B = "dockerctl/base:latest"

PLAYBOOK = """version: 1
name: {lab}
hosts: {{{a}: {{kind: simulated}}, {b}: {{kind: simulated}}, {c}: {{kind: simulated}}}}
switch: {{subnet: 198.18.{octet}.0/24}}
swarm: true
containers:
  lim-{a}: {{host: {a}, memory: 48M, memory_swap: 48M, pids_limit: 30}}
  lim-{b}: {{host: {b}, memory: 48M, memory_swap: 48M, pids_limit: 30}}
  lim-{c}: {{host: {c}, memory: 48M, memory_swap: 48M, pids_limit: 30}}
"""


def cli(*argv: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockerctl", *argv], capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def docker_on(
    sock: str, *argv: str, timeout: float = 300, stdin: Any = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "-H", f"unix://{sock}", *argv], capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=stdin)  # fmt: skip


def until(what: str, probe: Callable[[], Any], timeout: float = 180, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {what} (last: {last!r})")


def test_the_exporter_on_every_node_of_a_swarm(
    engine: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    tag = build_self()
    t = uuid.uuid4().hex[:4]
    lab, a, b, c = f"fleet{t}", f"f{t}a", f"f{t}b", f"f{t}c"
    sock = {h: f"/run/dctl-{h}.sock" for h in (a, b, c)}
    stack, prom = f"fl{t}", f"prom{t}"
    links: list[Path] = []
    book = tmp_path / "fleet.yaml"
    octet = 160 + int(t, 16) % 40
    book.write_text(PLAYBOOK.format(lab=lab, a=a, b=b, c=c, octet=octet))
    try:
        up = cli("play", str(book), "--keep", "--json")
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        # dockerctl's image on each engine, as a registry-less swarm gets it
        for h in (a, b, c):
            with subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE) as save:
                loaded = docker_on(sock[h], "load", stdin=save.stdout, timeout=600)
            assert loaded.returncode == 0 and save.returncode == 0, loaded.stderr
        node_id = {
            h: docker_on(sock[h], "info", "--format", "{{.Swarm.NodeID}}").stdout.strip() for h in (a, b, c)
        }
        assert all(node_id.values()) and len(set(node_id.values())) == 3, node_id
        # the stack file as shipped; only the engine's socket differs: simulated hosts share this machine's
        # file system, so each node's own socket is reached through a link named after its node id
        spec = yaml.safe_load(STACK.read_text())
        service = spec["services"]["exporter"]
        service["image"] = tag
        for h in (a, b, c):
            link = Path(f"/run/dctl-{stack}-{node_id[h]}.sock")
            link.symlink_to(sock[h])
            links.append(link)
        for v in service["volumes"]:
            if v["target"] == "/var/run/docker.sock":
                v["source"] = f"/run/dctl-{stack}-{{{{.Node.ID}}}}.sock"
        stack_file = tmp_path / "stack.yml"
        stack_file.write_text(yaml.safe_dump(spec))
        deployed = docker_on(
            sock[a], "stack", "deploy", "--resolve-image", "never", "-c", str(stack_file), stack
        )
        assert deployed.returncode == 0, deployed.stderr
        name = f"{stack}_exporter"

        def running_tasks() -> list[str]:
            out = docker_on(sock[a], "service", "ps", name, "--filter", "desired-state=running",
                            "--format", "{{.Node}} {{.CurrentState}}").stdout  # fmt: skip
            return [line for line in out.splitlines() if line.split()[1:2] == ["Running"]]

        until("one running exporter task per node", lambda: len(running_tasks()) == 3, timeout=300)
        # Prometheus (Debian's binary, this machine's libraries, mounted read-only into the base image) on
        # the overlay, on the manager, with the shipped configuration: only the service name and the
        # intervals changed, and `for:` of the rules set to 0 s so that they fire within the test
        conf = tmp_path / "prom"
        conf.mkdir()
        pconf = yaml.safe_load(PROMETHEUS.read_text())
        pconf["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        pconf["rule_files"] = ["/etc/prom/dockerctl.rules.yml"]
        pconf["scrape_configs"][0]["dns_sd_configs"][0]["names"] = [f"tasks.{name}"]
        (conf / "prometheus.yml").write_text(yaml.safe_dump(pconf))
        (conf / "dockerctl.rules.yml").write_text(re.sub(r"for: \d+m", "for: 0s", RULES.read_text()))
        started = docker_on(
            sock[a], "run", "-d", "--name", prom, "--network", "dockerctl-metrics",
            "-v", "/usr/bin/prometheus:/bin/prometheus:ro", "-v", "/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro",
            "-v", "/lib64:/lib64:ro", "-v", f"{conf}:/etc/prom:ro", "--tmpfs", "/prom", B,
            "prometheus", "--config.file=/etc/prom/prometheus.yml", "--storage.tsdb.path=/prom",
            "--web.listen-address=127.0.0.1:9090",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr

        def query(promql: str) -> list[dict[str, Any]]:
            url = f"http://127.0.0.1:9090/api/v1/query?query={urllib.parse.quote(promql)}"
            done = docker_on(sock[a], "exec", prom, "wget", "-qO-", url, timeout=60)
            data = json.loads(done.stdout)
            assert data["status"] == "success", data
            return list(data["data"]["result"])

        def by_node(promql: str) -> dict[str, float]:
            return {r["metric"].get("node_id", ""): float(r["value"][1]) for r in query(promql)}

        ids = {node_id[h]: h for h in (a, b, c)}
        holds = f'dockerctl_limit_holds{{limit="memory",name=~"{lab}-lim-.*"}}'
        seen = until(
            "every node's container in Prometheus", lambda: len(by_node(holds)) == 3 and by_node(holds)
        )
        assert seen == {i: 1.0 for i in ids}, seen
        # each series is read on its own node: the container of that node, in that node's cgroup tree
        for r in query(f'dockerctl_limit_kernel{{limit="memory",name=~"{lab}-lim-.*"}}'):
            h = ids[r["metric"]["node_id"]]
            assert r["metric"]["name"] == f"{lab}-lim-{h}" and float(r["value"][1]) == 48 * 1024 * 1024
        targets = query('up{job="dockerctl"}')
        assert len(targets) == 3 and all(r["value"][1] == "1" for r in targets), targets

        # drift on one node: a limit changed behind the tool's back
        changed = docker_on(sock[b], "update", "--memory", "64m", "--memory-swap", "64m", f"{lab}-lim-{b}")
        assert changed.returncode == 0, changed.stderr
        after = until(
            "holds 0 on the changed node",
            lambda: (v := by_node(holds)).get(node_id[b]) == 0.0 and v,
            timeout=60,
        )
        assert after == {node_id[a]: 1.0, node_id[b]: 0.0, node_id[c]: 1.0}, after
        kernel = by_node(f'dockerctl_limit_kernel{{limit="memory",name="{lab}-lim-{b}"}}')
        assert kernel == {node_id[b]: 64 * 1024 * 1024}
        alerts = until(
            "the alert fires for that node",
            lambda: query('ALERTS{alertname="DockerctlLimitNotHeld",alertstate="firing"}'),
            timeout=60,
        )
        assert {r["metric"]["node_id"] for r in alerts} == {node_id[b]}, alerts
        assert {r["metric"]["name"] for r in alerts} == {f"{lab}-lim-{b}"}

        # a lost node: its engine stopped, its target down, the others still answering
        instance = {
            r["metric"]["node_id"]: r["metric"]["instance"]
            for r in query('dockerctl_engine_up{job="dockerctl"}')
        }
        assert set(instance) == set(ids), instance
        pid = int((STATE / "hosts" / c / "dockerd.pid").read_text())
        os.kill(pid, signal.SIGTERM)

        def lost() -> dict[str, str] | None:
            now = {r["metric"]["instance"]: r["value"][1] for r in query('up{job="dockerctl"}')}
            return now if now.get(instance[node_id[c]]) == "0" else None

        now = until("the stopped node's target is down", lost, timeout=120)
        assert now[instance[node_id[a]]] == "1" and now[instance[node_id[b]]] == "1", now
        still = by_node(holds)
        assert still.get(node_id[a]) == 1.0 and still.get(node_id[b]) == 0.0, still
    finally:
        for h in (a, b):
            docker_on(sock[h], "rm", "-f", prom, timeout=120)
        docker_on(sock[a], "stack", "rm", stack, timeout=120)
        for link in links:
            link.unlink(missing_ok=True)
        down = cli("down", "--lab", lab, "--volumes")
        assert down.returncode == 0, down.stdout + down.stderr
        assert not [p for p in Path("/run").glob(f"dctl-{stack}-*")]
