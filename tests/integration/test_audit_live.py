"""`audit` on containers made by the docker CLI, Docker Compose v2, swarm and dockerctl at once: each finding
produced by a real container that has it and absent on its twin that does not, checked against what the
test reads itself (namespace inodes, cgroup counters)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from dockerctl.apply.swarm import swarm_init, swarm_leave, swarm_state
from tests.integration.kernel import read, v1_memory_dir

B = "dockerctl/base:latest"
COMPOSE = ["docker", "compose"]


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _audit(*args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "audit", "--json", *args],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    data = json.loads(done.stdout) if done.stdout.startswith("{") else {}
    return done.returncode, data, done.stderr


def _started(pid: int) -> float:
    """When process `pid` started, in seconds since the epoch, as the kernel counts it."""
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                 if line.startswith("btime "))  # fmt: skip
    return btime + ticks / os.sysconf("SC_CLK_TCK")


def _until(what: str, predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def made(engine: docker.DockerClient, base_image: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Containers with and without each finding, made by the docker CLI, compose, swarm and dockerctl."""
    t = uuid.uuid4().hex[:6]
    names: dict[str, str] = {}
    compose_file = tmp_path / "compose.yaml"
    project = f"dctlaudit{t}"
    swarm_was = swarm_state(engine)
    lab = f"audit-{t}"
    try:

        def run(key: str, *flags: str, cmd: tuple[str, ...] = ("sleep", "600")) -> None:
            names[key] = f"au{t}-{key}"
            _docker("run", "-d", "--name", names[key], *flags, B, *cmd)

        # the well-behaved twin: limited, read-only root, nothing shared
        run("tidy", "-m", "32m", "--cpu-shares", "512", "--pids-limit", "20", "--read-only",
            "-v", "/etc:/hostetc:ro")  # fmt: skip
        run("loose")  # no limit of any kind, writable root
        run("hostns", "--network", "host", "--ipc", "host", "--uts", "host", "--pid", "host")
        run("joined", "--network", f"container:{names['hostns']}")  # host network through container: mode
        run(
            "sockets",
            "-v",
            "/var/run:/hostrun",
            "-v",
            "/var/run/docker.sock:/x/engine.sock",
            "-v",
            "/etc:/hostetc",
        )
        run("hog", "-m", "16m", "--memory-swap", "16m", cmd=("sh", "-c", "tail /dev/zero; sleep 600"))
        run("burner", "--cpus", "0.1", cmd=("sh", "-c", "timeout 3 sh -c 'while :; do :; done'; sleep 600"))
        run("forker", "--pids-limit", "4",
            cmd=("sh", "-c", "sh -c 'for i in 1 2 3 4 5 6; do sleep 600 & done'; exec sleep 600"))  # fmt: skip
        # by dockerctl, with a block-IO weight this kernel does not hold (the label keeps what was asked)
        names["weight"] = f"au{t}-weight"
        subprocess.run(
            [sys.executable, "-m", "dockerctl", "run", "--lab", lab, "--name", names["weight"], "--blkio-weight", "300", B],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        # by compose
        compose_file.write_text(
            f"name: {project}\nservices:\n  app:\n    image: {B}\n    command: [sleep, '600']\n"
        )
        subprocess.run(
            [*COMPOSE, "-f", str(compose_file), "up", "-d"], capture_output=True, timeout=120, check=True
        )
        names["compose"] = f"{project}-app-1"
        # by swarm
        if swarm_was == "inactive":
            swarm_init(engine, "127.0.0.1")
            svc = engine.services.create(B, ["sleep", "600"], name=f"au{t}-svc")
            _until("the swarm task runs", lambda: any(
                c.status == "running" for c in engine.containers.list(filters={"label": f"com.docker.swarm.service.name=au{t}-svc"})
            ))  # fmt: skip
            names["swarm"] = next(
                c.name
                for c in engine.containers.list(filters={"label": f"com.docker.swarm.service.name=au{t}-svc"})
            )
            names["svc"] = svc.name
        _until("the hog was OOM-killed", lambda: "oom_kill 1" in (
            v1_memory_dir(int(engine.containers.get(names["hog"]).attrs["State"]["Pid"])) / "memory.oom_control"
        ).read_text())  # fmt: skip
        burner = int(engine.containers.get(names["burner"]).attrs["State"]["Pid"])
        _until("the burner was throttled", lambda: "nr_throttled 0" not in read(burner, "cpu", "cpu.stat"))
        yield names
    finally:
        for c in engine.containers.list(all=True, filters={"name": f"au{t}-"}):
            c.remove(force=True)
        subprocess.run(
            [*COMPOSE, "-f", str(compose_file), "down", "-t", "0"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if swarm_was == "inactive":
            with contextlib.suppress(Exception):
                swarm_leave(engine, force=True)
        for c in engine.containers.list(all=True, filters={"label": f"io.dockerctl.lab={lab}"}):
            c.remove(force=True)


def _rules(data: dict[str, Any], name: str) -> set[str]:
    found = [c for c in data["containers"] if c["name"] == name]
    assert found, f"{name} not audited"
    return {f["rule"] for f in found[0]["findings"]}


def test_audit_judges_each_container_from_its_kernel(
    made: dict[str, str], engine: docker.DockerClient, base_image: str
) -> None:
    code, data, err = _audit()
    assert code == 1, err  # the weight dockerctl was asked for is not held: a default --fail-on rule
    by = {c["name"]: c for c in data["containers"]}
    n = made
    # who made it
    assert by[n["compose"]]["group"].startswith("compose project dctlaudit")
    assert by[n["weight"]]["group"].startswith("dockerctl lab audit-")
    assert by[n["loose"]]["group"] == "none"
    if "swarm" in n:
        assert by[n["swarm"]]["group"] == f"swarm service {n['svc']}"
    # each finding on the container that has it, absent on the twin that does not
    tidy, loose = _rules(data, n["tidy"]), _rules(data, n["loose"])
    for rule in ("no-memory-limit", "no-cpu-priority", "no-pids-limit", "writable-root"):
        assert rule in loose and rule not in tidy, rule
    assert {"host-network", "host-ipc", "host-uts", "host-pid"} <= _rules(data, n["hostns"])
    assert not {"host-network", "host-ipc", "host-uts", "host-pid"} & tidy
    # container: mode onto a host-network container is the host's network: the kernel says so
    assert "host-network" in _rules(data, n["joined"])
    joined_pid = int(engine.containers.get(n["joined"]).attrs["State"]["Pid"])
    assert os.readlink(f"/proc/{joined_pid}/ns/net") == os.readlink(
        "/proc/self/ns/net"
    )  # this test runs where the engine does
    assert engine.containers.get(n["joined"]).attrs["HostConfig"]["NetworkMode"].startswith("container:")
    sockets = [f for c in data["containers"] if c["name"] == n["sockets"] for f in c["findings"]]
    inside = sorted(f["found"].split(" as ")[-1] for f in sockets if f["rule"] == "engine-socket")
    assert inside == ["/hostrun/docker.sock", "/x/engine.sock"]
    assert any(f["rule"] == "sensitive-mount-rw" and "/etc" in f["found"] for f in sockets)
    assert "sensitive-mount-rw" not in tidy  # the same /etc, read-only
    # pressure since start, as the kernel counts it
    hog = by[n["hog"]]
    assert {"oom-killed", "memory-limit-hit"} <= _rules(data, n["hog"]) and hog["pressure"]["oom_kills"] >= 1
    assert (
        "cpu-throttled" in _rules(data, n["burner"])
        and by[n["burner"]]["pressure"]["cpu_throttled_periods"] > 0
    )
    forker = by[n["forker"]]["pressure"]
    assert "pids-limit-hit" in _rules(data, n["forker"]) and forker["pids_limit_hits"] >= 1
    assert forker["pids_current"] <= forker["pids_max"] == 4
    assert not {"oom-killed", "cpu-throttled", "pids-limit-hit"} & tidy
    # what dockerctl was asked and the kernel does not hold
    weight = [f for f in by[n["weight"]]["findings"] if f["rule"] == "not-enforced"]
    assert weight and "weight" in weight[0]["found"], by[n["weight"]]["findings"]

    # a container just removed leaves its netns file to the engine's garbage collection (unmounted at
    # once, removed within 60 s): the engine's own business, never an orphan
    gone = engine.containers.run(base_image, ["sleep", "600"], detach=True, labels={"dctl-test": "audit"})
    gone.reload()
    box = gone.attrs["NetworkSettings"]["SandboxKey"]
    gone.remove(force=True)
    code, data, _ = _audit("--fail-on", "none")
    assert os.path.exists(box), "the engine removed the file at once: nothing left to mistake"
    mine = {os.path.basename(box), gone.id[:12]} | {engine.containers.get(v).id[:12] for v in n.values()
                                                    if v in by}  # fmt: skip
    assert code == 0 and not [o for o in data["orphans"] if any(m in o["found"] for m in mine)], data[
        "orphans"
    ]
    # what this shared engine does list (files an earlier daemon left) is older than the running daemon
    for o in data["orphans"]:
        assert o["found"].endswith("(a file only)"), o
        path, pid = o["found"].split()[3].rstrip(","), int(o["evidence"].split("/proc/")[1].split("/")[0])
        assert os.stat(path).st_ctime < _started(pid), o
    code, _, _ = _audit("--fail-on", "engine-socket")
    assert code == 1


def test_fail_on_names_unknown_rules() -> None:
    code, _, err = _audit("--fail-on", "not-enforced,oom-kill")
    assert code == 2 and "--fail-on" in err and "oom-kill" in err and "oom-killed" in err


def test_assert_no_findings_in_a_test(engine: docker.DockerClient, base_image: str) -> None:
    from testcontainers.core.container import DockerContainer

    from dockerctl.testing import assert_no_findings

    t = uuid.uuid4().hex[:6]
    loose = engine.containers.run(B, ["sleep", "600"], name=f"au{t}-loose", detach=True)
    tidy = DockerContainer(B).with_command("sleep 600").with_name(f"au{t}-tidy").with_kwargs(mem_limit="32m")
    try:
        tidy.start()
        report = assert_no_findings(["no-memory-limit"], containers=[tidy])
        assert any(
            c.name == f"au{t}-tidy" and c.pressure and c.pressure.memory_limit == 32 * 2**20
            for c in report.containers
        )
        with pytest.raises(AssertionError, match=rf"no-memory-limit \(CIS 5\.11\)  au{t}-loose"):
            assert_no_findings(["no-memory-limit"], containers=[loose, tidy])
        with pytest.raises(TypeError, match="unknown rule"):
            assert_no_findings(["no-memory"])
    finally:
        loose.remove(force=True)
        tidy.stop()
