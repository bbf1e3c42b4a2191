"""Issue 39 on the real engine and this machine's kernel (cgroup v1): testcontainers' idioms with
dockerctl's limits, and the assertions a CI engineer needs — why a container died (an OOM kill or a
plain SIGKILL, both exit 137), CPU throttling and pids headroom — checked against the cgroup files read
independently (tests/integration/kernel.py) and the kernel's own log.

Containers are testcontainers `DockerContainer`s of the locally built base image (nothing is pulled);
each has a name under this test's prefix and is removed by name when the test ends, pass or fail."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import docker
import pytest
from testcontainers.core.container import DockerContainer

from dockerctl.testing import (
    KernelAssertionError,
    assert_limits,
    assert_no_throttling,
    assert_not_oom_killed,
    assert_oom_killed,
    assert_pids_headroom,
    with_limits,
)

from .kernel import read, v1_dir
from .test_plugin import _leftovers

BASE = "dockerctl/base:latest"
Make = Callable[..., DockerContainer]


class Service(DockerContainer):
    """A container class as testcontainers' modules define them (a DockerContainer subclass)."""


@pytest.fixture
def make(engine: docker.DockerClient, base_image: str) -> Iterator[Make]:
    prefix = f"tc39-{uuid.uuid4().hex[:8]}"
    count = 0

    def _make(*command: str) -> DockerContainer:
        nonlocal count
        count += 1
        return Service(BASE).with_name(f"{prefix}-{count}").with_command(list(command))

    yield _make
    for c in engine.containers.list(all=True, filters={"name": prefix}):
        c.remove(force=True)
    assert engine.containers.list(all=True, filters={"name": prefix}) == []


def _pid(c: DockerContainer) -> int:
    wrapped = c.get_wrapped_container()
    wrapped.reload()
    return int(wrapped.attrs["State"]["Pid"])


def _exit(c: DockerContainer) -> dict[str, object]:
    wrapped = c.get_wrapped_container()
    wrapped.wait(timeout=120)
    wrapped.reload()
    state: dict[str, object] = wrapped.attrs["State"]
    return state


def _kernel_log_oom_lines(container_id: str) -> list[str]:
    """Independent of dockerctl's parser: the kernel's own oom-kill lines naming this cgroup."""
    log = subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout
    return [
        line
        for line in log.splitlines()
        if "oom-kill:" in line and f"oom_memcg=/docker/{container_id}" in line
    ]


def test_with_limits_needs_no_lab_and_the_kernel_holds_the_limits(
    make: Make, engine: docker.DockerClient
) -> None:
    c = with_limits(make("sleep", "300"), memory="64M", cpus=0.5, pids_limit=50)
    with c as running:  # testcontainers' own cleanup
        assert running is c
        assert_limits(c, memory="64M", cpus=0.5, pids_limit=50)
        pid = _pid(c)
        assert read(pid, "memory", "memory.limit_in_bytes") == str(64 * 1024**2)
        assert (
            read(pid, "cpu", "cpu.cfs_quota_us") == "50000"
            and read(pid, "cpu", "cpu.cfs_period_us") == "100000"
        )
        assert read(pid, "pids", "pids.max") == "50"
        labels = c.get_wrapped_container().labels
        # no lab asked: not dockerctl's (the base image's own io.dockerctl.image label is inherited)
        assert not {"io.dockerctl.managed", "io.dockerctl.lab", "io.dockerctl.requested"} & set(labels)
        name = c.get_wrapped_container().name
    assert engine.containers.list(all=True, filters={"name": name}) == []


def test_an_oom_kill_is_told_from_docker_kill_though_both_exit_137(make: Make) -> None:
    hungry = with_limits(make("tail", "/dev/zero"), memory="16M", memory_swap="16M")  # must be OOM-killed
    hungry.start()
    killed = make("sleep", "300")
    killed.start()
    subprocess.run(
        ["docker", "kill", "-s", "KILL", killed.get_container_id()], check=True, capture_output=True
    )
    hungry_state, killed_state = _exit(hungry), _exit(killed)
    assert hungry_state["ExitCode"] == killed_state["ExitCode"] == 137  # the exit code cannot tell them apart

    # the cgroups are gone with the containers: the kernel's log line for the OOM kill decides
    oom = assert_oom_killed(hungry)
    assert oom.decided_by == "kernel log" and "task=tail" in oom.kernel and "dmesg" in oom.read_from
    assert _kernel_log_oom_lines(hungry.get_container_id())  # the kernel logged it (read without dockerctl)
    plain = assert_not_oom_killed(killed)
    assert plain.decided_by == "kernel log" and not plain.killed
    assert _kernel_log_oom_lines(killed.get_container_id()) == []

    with pytest.raises(KernelAssertionError) as failed:
        assert_oom_killed(killed)
    text = str(failed.value)
    assert f"container {killed.get_wrapped_container().name} was not OOM-killed" in text
    assert "exit 137" in text and "OOMKilled=false" in text and "no OOM kill of its cgroup logged" in text
    assert "asked" in text and "engine" in text and "kernel" in text and "read from" in text
    with pytest.raises(KernelAssertionError, match=r"was OOM-killed:[\s\S]*task=tail"):
        assert_not_oom_killed(hungry)


def test_the_oom_counter_of_a_container_that_lives_on(make: Make) -> None:
    """A child OOM-killed while the container keeps running: the cgroup's own counter says so; a child
    killed by SIGKILL in a sibling leaves the counter at 0."""
    survivor = with_limits(make("sh", "-c", "tail /dev/zero; sleep 300"), memory="16M", memory_swap="16M")
    survivor.start()
    ev = assert_oom_killed(survivor, within=60)
    assert ev.decided_by == "cgroup counter" and ev.read_from.endswith("/memory.oom_control")
    pid = _pid(survivor)
    assert pid > 0  # still running: the kill was of `tail`, not of the container
    counted = re.search(r"^oom_kill (\d+)$", read(pid, "memory", "memory.oom_control"), re.M)
    assert counted and int(counted.group(1)) == ev.count >= 1
    assert str(v1_dir(pid, "memory")) in ev.read_from

    sibling = with_limits(make("sh", "-c", "sleep 1000; sleep 300"), memory="16M")
    sibling.start()
    wrapped = sibling.get_wrapped_container()
    deadline = time.monotonic() + 20
    while "sleep 1000" not in str(wrapped.top().get("Processes")) and time.monotonic() < deadline:
        time.sleep(0.1)
    done = wrapped.exec_run(["sh", "-c", "kill -9 $(pidof sleep)"])
    assert done.exit_code == 0, done.output
    while "sleep 300" not in str(wrapped.top().get("Processes")) and time.monotonic() < deadline:
        time.sleep(0.1)
    calm = assert_not_oom_killed(sibling)
    assert calm.decided_by == "cgroup counter" and calm.count == 0
    assert "oom_kill 0" in read(_pid(sibling), "memory", "memory.oom_control")


def test_throttling_and_pids_headroom_from_the_pressure_counters(make: Make) -> None:
    busy = with_limits(make("sh", "-c", "while :; do :; done"), cpus=0.1)
    idle = with_limits(make("sleep", "300"), cpus=1, pids_limit=50)
    forky = with_limits(make("sleep", "300"), pids_limit=4)
    for c in (busy, idle, forky):
        c.start()
    # more processes than pids.max allows, from a shell in the container (which may die of it; sleep lives)
    forky.get_wrapped_container().exec_run(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 300 & done"])
    deadline = time.monotonic() + 30
    while int(re.findall(r"nr_throttled (\d+)", read(_pid(busy), "cpu", "cpu.stat"))[0]) < 5:
        assert time.monotonic() < deadline, "a busy loop under --cpus 0.1 was never throttled"
        time.sleep(0.2)
    with pytest.raises(KernelAssertionError) as failed:
        assert_no_throttling(busy, below=0.05)
    text = str(failed.value)
    assert "is throttled by its CPU quota" in text and "0.1 CPUs" in text
    assert f"{v1_dir(_pid(busy), 'cpu')}/cpu.stat" in text
    assert assert_no_throttling(idle, below=0.05).cpu_throttled_periods == int(
        re.findall(r"nr_throttled (\d+)", read(_pid(idle), "cpu", "cpu.stat"))[0]
    )

    while int(read(_pid(forky), "pids", "pids.events").split()[1]) == 0:
        assert time.monotonic() < deadline, "forks past pids.max were never refused"
        time.sleep(0.2)
    with pytest.raises(KernelAssertionError) as failed:
        assert_pids_headroom(forky)
    refused = int(read(_pid(forky), "pids", "pids.events").split()[1])
    assert f"of pids.max 4; pids.events max {refused} (forks refused)" in str(failed.value)
    assert "PidsLimit 4" in str(failed.value)
    p = assert_pids_headroom(idle, at_least=40)
    assert p.pids_current == int(read(_pid(idle), "pids", "pids.current")) and p.pids_max == 50


def test_a_failing_assertion_attaches_its_table_to_the_junit_report(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    pytester.makepyfile(f"""
from testcontainers.core.container import DockerContainer
from dockerctl.testing import assert_limits, with_limits

def _app(name):
    return with_limits(DockerContainer("{BASE}").with_name(name).with_command("sleep 300"), memory="32M")

def test_with_evidence(dockerctl_evidence):
    with _app("tc39-junit-{uuid.uuid4().hex[:6]}-a") as app:
        assert_limits(app, memory="64M")

def test_with_record_property(record_property):
    with _app("tc39-junit-{uuid.uuid4().hex[:6]}-b") as app:
        assert_limits(app, memory="64M", record_property=record_property)

def test_not_asked():
    with _app("tc39-junit-{uuid.uuid4().hex[:6]}-c") as app:
        assert_limits(app, memory="64M")
""")
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--junitxml={xml}")
    result.assert_outcomes(failed=3)
    cases = {tc.get("name"): tc for tc in ET.parse(xml).getroot().iter("testcase")}
    for name in ("test_with_evidence", "test_with_record_property"):
        props = {p.get("name"): p.get("value") or "" for p in cases[name].iter("property")}
        table = props["dockerctl_evidence"]
        assert "do not hold in the kernel" in table and "memory.limit_in_bytes" in table
        assert "asked" in table and "engine" in table and "kernel" in table and "33554432 (32MiB)" in table
    assert list(cases["test_not_asked"].iter("property")) == []  # nothing changes unless asked
    assert engine.containers.list(all=True, filters={"name": "tc39-junit-"}) == []


def test_a_lab_for_a_module_or_the_session(
    pytester: pytest.Pytester, engine: docker.DockerClient, base_image: str
) -> None:
    pytester.makepyfile(
        test_one="""
import docker
LABS = []

def test_first(dockerctl_lab, dockerctl_session_lab):
    LABS.append(dockerctl_lab({"containers": {"a": {"memory": "32M"}}}))
    dockerctl_session_lab({"containers": {"s": {}}}, name="pytest-tc39session")

def test_second_sees_the_same_lab(dockerctl_lab):
    c = LABS[0]["a"]
    c.reload()
    assert c.status == "running"
""",
        test_two="""
def test_the_first_modules_lab_is_gone_the_sessions_is_not(dockerctl_engine):
    import test_one
    name = test_one.LABS[0].name
    assert dockerctl_engine.containers.list(all=True, filters={"label": f"io.dockerctl.lab={name}"}) == []
    kept = dockerctl_engine.containers.list(filters={"label": "io.dockerctl.lab=pytest-tc39session"})
    assert len(kept) == 1
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--dockerctl-lab-scope=module", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    assert _leftovers(engine) == []
    pytester.makeini("[pytest]\ndockerctl_lab_scope = session\n")
    pytester.makepyfile(
        test_one="""
LABS = []
def test_first(dockerctl_lab):
    LABS.append(dockerctl_lab({"containers": {"a": {}}}))
""",
        test_two="""
def test_the_lab_lives_on(dockerctl_engine):
    import test_one
    name = test_one.LABS[0].name
    assert len(dockerctl_engine.containers.list(filters={"label": f"io.dockerctl.lab={name}"})) == 1
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert _leftovers(engine) == []


def test_a_container_from_an_image_that_is_not_local_is_left_to_testcontainers(
    engine: docker.DockerClient,
) -> None:
    """with_limits no longer refuses a missing image (testcontainers pulls it when it starts): it only
    adds create arguments. Nothing is started here — no registry is reachable."""
    absent = "dockerctl/absent-tc39:nope"
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(absent)
    c = with_limits(DockerContainer(absent), memory="64M")
    assert c._kwargs["mem_limit"] == 64 * 1024**2
