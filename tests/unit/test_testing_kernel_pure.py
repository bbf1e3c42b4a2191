"""The testcontainers-facing assertions of issue 39 on captured kernels: OOM kills from the cgroup's own
counter (the real cgroup v2 capture: memory.events; this host's v1 layout: memory.oom_control), CPU
throttling and pids headroom from the pressure counters, OOM kills of an exited container from the
kernel's log lines, and `with_limits` as testcontainers users write it — no lab, no engine, chainable.

The container is given as a docker-py `Container` whose inspect answers with fixed attrs (State.Pid is
the captured tree's process); every kernel value comes from the captured files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker.models.containers import Container

from dockerctl.engines.engine import Engine
from dockerctl.observe.oom import parse_oom_records
from dockerctl.testing import (
    KernelAssertionError,
    assert_no_throttling,
    assert_not_oom_killed,
    assert_oom_killed,
    assert_pids_headroom,
    with_limits,
)
from tests.unit.cgtrees import PID, Tree, v1_tree, v2_tree


class _Inspected:
    """The engine's inspect answer for one container (what `reload()` fetches)."""

    def __init__(self, attrs: dict[str, Any]) -> None:
        self.attrs = attrs

    def get(self, _id: str) -> Container:
        return Container(attrs=self.attrs, client=None, collection=self)


def container(tree: Tree, *, running: bool = True, oom_flag: bool = False, exit_code: int = 0) -> Container:
    attrs = {
        "Id": tree.container_id,
        "Name": "/job",
        "State": {
            "Status": "running" if running else "exited",
            "Running": running,
            "Pid": PID if running else 0,
            "OOMKilled": oom_flag,
            "ExitCode": exit_code,
        },
        "HostConfig": {"NanoCpus": 500_000_000, "PidsLimit": 50},
    }
    return _Inspected(attrs).get(tree.container_id)


def engine(tree: Tree) -> Engine:
    return Engine("tree", None, tree.reader.host, "unix:///captured")  # type: ignore[arg-type]


# --- OOM kills: the cgroup's counter ---------------------------------------------------------------


def test_v2_counter_zero_is_no_oom_kill_and_says_which_file(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)  # memory.events: oom_kill 0
    ev = assert_not_oom_killed(container(tree), engine=engine(tree))
    assert ev.count == 0 and ev.decided_by == "cgroup counter"
    assert ev.read_from == str(tree.host_dir / "memory.events")
    with pytest.raises(KernelAssertionError) as failed:
        assert_oom_killed(container(tree), engine=engine(tree))
    text = str(failed.value)
    assert (
        "was not OOM-killed" in text and "oom_kill 0" in text and str(tree.host_dir / "memory.events") in text
    )
    assert "asked" in text and "engine" in text and "kernel" in text and "OOMKilled=false" in text


def test_v2_counter_after_an_oom_kill(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    events = tree.cgroup_dir / "memory.events"
    events.write_text(events.read_text().replace("oom_kill 0", "oom_kill 2").replace("oom 0", "oom 2"))
    ev = assert_oom_killed(container(tree), engine=engine(tree))
    assert ev.count == 2 and ev.read_from.endswith("/memory.events")
    with pytest.raises(KernelAssertionError, match=r"oom_kill 2"):
        assert_not_oom_killed(container(tree), engine=engine(tree))


def test_v1_counter_in_memory_oom_control(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path, {"memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"})
    ev = assert_oom_killed(container(tree), engine=engine(tree))
    assert ev.count == 1 and ev.read_from == str(tree.host_dir / "memory.oom_control")
    calm = v1_tree(tmp_path / "calm", {"memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"})
    assert assert_not_oom_killed(container(calm), engine=engine(calm)).count == 0


def test_an_exited_container_on_an_unreadable_kernel_log_falls_back_to_the_engine_and_says_so(
    tmp_path: Path,
) -> None:
    tree = v2_tree(tmp_path)  # a captured tree runs no commands: no dmesg
    killed = container(tree, running=False, exit_code=137)  # exit 137, engine saw no OOM event
    with pytest.raises(KernelAssertionError) as failed:
        assert_oom_killed(killed, engine=engine(tree))
    text = str(failed.value)
    assert "exit 137" in text and "OOMKilled=false" in text and "unreadable" in text
    assert "a captured file tree runs no commands" in text and "decided by: engine flag" in text
    ev = assert_oom_killed(container(tree, running=False, oom_flag=True, exit_code=137), engine=engine(tree))
    assert ev.decided_by == "engine flag"


def test_the_table_is_recorded_for_the_junit_report(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    recorded: list[tuple[str, object]] = []
    with pytest.raises(KernelAssertionError):
        assert_oom_killed(
            container(tree), engine=engine(tree), record_property=lambda k, v: recorded.append((k, v))
        )
    [(name, value)] = recorded
    assert name == "dockerctl_evidence" and "memory.events" in str(value) and "oom_kill 0" in str(value)


# --- OOM kills: the kernel's log, for a container whose cgroup is gone ---------------------------------

CID = "155f4a46eeb325ccb9dbf4146b54b7043824c17db8ad184737579a4775b5be84"
# as this machine's kernel (6.18, cgroup v1, cgroupfs driver) logged `head -c 200m /dev/zero | tail` in -m 16m
V1_LOG = (
    f"[  701.677745] Memory cgroup stats for /docker/{CID}:\n"
    f"[  701.681260] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset={CID},mems_allowed=0,"
    f"oom_memcg=/docker/{CID},task_memcg=/docker/{CID},task=tail,pid=23047,uid=0\n"
    "[  701.681290] Memory cgroup out of memory: Killed process 23047 (tail) total-vm:213716kB\n"
)
# cgroup v2 with the systemd driver (the VM host's layout)
V2_LOG = (
    "[ 88.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
    f"oom_memcg=/system.slice/docker-{CID}.scope,task_memcg=/system.slice/docker-{CID}.scope,task=dd,pid=901,uid=0\n"
)
OLD_LOG = (
    f"[ 12.0] Task in /docker/{CID} killed as a result of limit of /docker/{CID}\n"
    "[ 12.0] Memory cgroup out of memory: Kill process 777 (python3) score 1000 or sacrifice child\n"
    "[ 12.0] Killed process 777 (python3) total-vm:1000kB, anon-rss:900kB\n"
)


def test_kernel_log_oom_records_name_the_containers_cgroup() -> None:
    [v1] = parse_oom_records(V1_LOG, CID)
    assert (v1.task, v1.pid, v1.memcg) == ("tail", 23047, f"/docker/{CID}")
    [v2] = parse_oom_records(V2_LOG, CID)
    assert (v2.task, v2.pid) == ("dd", 901) and v2.memcg.endswith(f"docker-{CID}.scope")
    [old] = parse_oom_records(OLD_LOG, CID)
    assert (old.task, old.pid) == ("python3", 777)
    other = "0" * 64
    assert parse_oom_records(V1_LOG + V2_LOG + OLD_LOG, other) == []


# --- pressure counters ------------------------------------------------------------------------------


def test_throttling_from_v2_cpu_stat(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)  # nr_periods 2, nr_throttled 0
    assert assert_no_throttling(container(tree), below=0.05, engine=engine(tree)).cpu_periods == 2
    stat = tree.cgroup_dir / "cpu.stat"
    stat.write_text(
        stat.read_text()
        .replace("nr_periods 2", "nr_periods 40")
        .replace("nr_throttled 0", "nr_throttled 30")
        .replace("throttled_usec 0", "throttled_usec 2500000")
    )
    with pytest.raises(KernelAssertionError) as failed:
        assert_no_throttling(container(tree), below=0.05, engine=engine(tree))
    text = str(failed.value)
    assert "nr_throttled 30 of nr_periods 40 (75.0%), 2.50 s throttled" in text
    assert str(tree.host_dir / "cpu.stat") in text and "0.5 CPUs" in text and "< 5.0% of periods" in text
    assert assert_no_throttling(container(tree), below=0.8, engine=engine(tree)).cpu_throttled_periods == 30


def test_throttling_from_v1_cpu_stat(tmp_path: Path) -> None:
    tree = v1_tree(
        tmp_path,
        {"memory.oom_control": "oom_kill 0\n"},
        {"cpu/cpu.stat": "nr_periods 30\nnr_throttled 28\nthrottled_time 2700000000\n"},
    )
    with pytest.raises(KernelAssertionError, match=r"nr_throttled 28 of nr_periods 30 .* 2\.70 s throttled"):
        assert_no_throttling(container(tree), engine=engine(tree))


def test_pids_headroom_from_v2_pids_files(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)  # pids.current 0, pids.max 50, pids.events max 0
    assert assert_pids_headroom(container(tree), at_least=50, engine=engine(tree)).pids_max == 50
    with pytest.raises(KernelAssertionError, match=r"pids.current 0 of pids.max 50"):
        assert_pids_headroom(container(tree), at_least=51, engine=engine(tree))
    (tree.cgroup_dir / "pids.events").write_text("max 3\n")
    with pytest.raises(KernelAssertionError) as failed:
        assert_pids_headroom(container(tree), engine=engine(tree))
    text = str(failed.value)
    assert "pids.events max 3 (forks refused)" in text and "PidsLimit 50" in text
    assert f"{tree.host_dir}/pids.current, pids.max, pids.events" in text


def test_pressure_of_a_stopped_container_says_it_is_not_running(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    with pytest.raises(AssertionError, match="is not running"):
        assert_no_throttling(container(tree, running=False), engine=engine(tree))


# --- with_limits: testcontainers' idiom ----------------------------------------------------------------


def test_with_limits_needs_no_lab_no_engine_and_is_chainable(monkeypatch: pytest.MonkeyPatch) -> None:
    from testcontainers.core.container import DockerContainer

    # no engine answers here: with_limits must not ask one anything (the image is testcontainers' business)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")

    class Service(DockerContainer):  # a testcontainers module's container is a subclass like this one
        pass

    # (version given: testcontainers' own client then asks the engine nothing either)
    app = Service("registry.example/team/app:1.2", docker_client_kw={"version": "1.41"})
    same = with_limits(app, memory="64M", cpus=0.5, pids_limit=50).with_command("serve")
    assert same is app
    kwargs = app._kwargs
    assert (kwargs["mem_limit"], kwargs["nano_cpus"], kwargs["pids_limit"]) == (64 * 1024**2, 500_000_000, 50)
    assert "labels" not in kwargs  # no lab asked: nothing of dockerctl's on the container
    with_limits(app, memory="64M", memory_swap="128m", lab="ci")  # merged; the lab's labels only when asked
    assert app._kwargs["mem_limit"] == 64 * 1024**2 and app._kwargs["memswap_limit"] == 128 * 1024**2
    assert app._kwargs["labels"]["io.dockerctl.lab"] == "ci"
    with pytest.raises(TypeError, match="memroy"):
        with_limits(app, memroy="64M")
