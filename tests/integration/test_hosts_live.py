"""A second engine in a network namespace (a simulated host): the netns Host runs its commands inside
that namespace, limits of that engine's containers are read and judged through it, and the engine
killed during `play` gives one sentence, a restart converges, and `down` leaves nothing. Everything the
fixture starts it stops — namespace, veth pair, dockerd, shims, cgroups, socket — pass or fail."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from dockerctl.engines.client import connect
from dockerctl.engines.engine import Engine
from dockerctl.engines.transfer import ship_image
from dockerctl.fabric import simhost
from dockerctl.fabric.netns import Namespace, create_namespace, delete_namespace
from dockerctl.hosts import LocalHost, NetnsHost
from dockerctl.ops.limits import run_container
from dockerctl.spec.models import ContainerSpec, Limits
from tests.integration.kernel import read_int, v1_dir

NAME = "dctl-sim1"


def _leftovers() -> dict[str, object]:
    """What a simulated host could leave on this machine, counted independently of dockerctl."""
    links = json.loads(subprocess.run(["ip", "-json", "link"], capture_output=True, text=True).stdout)
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return {
        "netns": NAME in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout,
        "links": sorted(link["ifname"] for link in links if NAME in link["ifname"]),
        "processes": [line for line in procs.splitlines() if f"dctl-{NAME}" in line or f"/{NAME}/" in line],
        "socket": Path(f"/run/dctl-{NAME}.sock").exists(),
        "cgroups": sorted(str(p) for p in Path("/sys/fs/cgroup").glob(f"*/dctl-{NAME}")),
        # its engine's data-root bind, exec-root, netns file and container layers: mount points in /proc
        "mounts": sorted(
            point
            for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if NAME in (point := line.split()[4])
        ),
    }


@pytest.fixture(scope="module")
def sim(
    engine: docker.DockerClient, base_image: str
) -> Iterator[tuple[Namespace, simhost.SimEngine, Engine]]:
    before = _leftovers()
    assert before == {
        "netns": False, "links": [], "processes": [], "socket": False, "cgroups": [], "mounts": []
    }, before  # fmt: skip
    ns = create_namespace(NAME, lab="test-hosts", host_addr="198.18.20.1/30", ns_addr="198.18.20.2/30")
    sim_engine = simhost.SimEngine(NAME, "172.30.20.1/24")
    handle: Engine | None = None
    try:
        simhost.start(sim_engine, ns)
        client = connect(sim_engine.url)
        ship_image(engine, client, base_image)
        handle = Engine(NAME, client, ns.host, sim_engine.url)
        yield ns, sim_engine, handle
    finally:
        if handle is not None:
            handle.client.close()
        simhost.stop(sim_engine)
        simhost.purge(sim_engine)
        delete_namespace(NAME)
    assert _leftovers() == before  # nothing of the simulated host is left on the machine


def test_netns_host_runs_commands_inside_its_namespace(
    sim: tuple[Namespace, simhost.SimEngine, Engine],
) -> None:
    ns, sim_engine, _ = sim
    inside = {a["ifname"]: a for a in json.loads(NetnsHost(NAME).run(["ip", "-json", "addr"]).stdout)}
    assert [i["local"] for i in inside["eth0"]["addr_info"] if i["family"] == "inet"] == ["198.18.20.2"]
    assert [i["local"] for i in inside["docker0"]["addr_info"] if i["family"] == "inet"] == ["172.30.20.1"]
    here = LocalHost().run(["ip", "-json", "addr"]).stdout
    assert "198.18.20.2" not in here and "172.30.20.1" not in here
    # the same kernel and files: the engine's pid file reads the same from both
    assert ns.host.read_text(str(sim_engine.pidfile)) == LocalHost().read_text(str(sim_engine.pidfile))


def test_limits_of_the_simulated_hosts_containers_are_read_through_its_host(
    sim: tuple[Namespace, simhost.SimEngine, Engine], base_image: str
) -> None:
    handle = sim[2]
    spec = ContainerSpec(
        image=base_image, lab="test-hosts", limits=Limits(memory=64 * 1024 * 1024, pids_limit=30)
    )
    report = run_container(handle, spec, verify=True)
    try:
        assert report.ok and report.kernel == f"netns:{NAME}", report.checks
        container = handle.client.containers.get(report.container_id)
        pid = int(container.attrs["State"]["Pid"])
        memory = v1_dir(pid, "memory")
        assert f"/dctl-{NAME}/" in str(memory)  # the simulated host's own cgroup parent
        assert read_int(memory / "memory.limit_in_bytes") == 64 * 1024 * 1024
        assert read_int(v1_dir(pid, "pids") / "pids.max") == 30
        evidence = {c.subject: c.evidence for c in report.checks}
        assert f"dctl-{NAME}" in evidence["memory"]
    finally:
        handle.client.containers.get(report.container_id).remove(force=True)


SLOW = """version: 1
name: {name}
containers:
{containers}
"""


@pytest.mark.parametrize("after", [1, 6], ids=["after-1-container", "after-6-containers"])
def test_engine_killed_during_play_is_one_sentence_then_play_converges(
    sim: tuple[Namespace, simhost.SimEngine, Engine], tmp_path: Path, after: int
) -> None:
    ns, sim_engine, handle = sim
    name = f"killed{after}"
    body = "\n".join(f"  c{i}: {{memory: 32M}}" for i in range(12))
    path = tmp_path / "slow.yaml"
    path.write_text(SLOW.format(name=name, containers=body))
    cmd = [sys.executable, "-m", "dockerctl", "-H", sim_engine.url, "play", str(path), "--parallel", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    labelled = {"label": f"io.dockerctl.lab={name}"}
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline and len(handle.client.containers.list(all=True, filters=labelled)) < after
    ):
        time.sleep(0.05)
    simhost.kill(sim_engine)  # a crash half-way through the containers
    out, err = proc.communicate(timeout=120)
    try:
        assert proc.returncode == 3, (out, err)
        assert "Traceback" not in err
        lines = [line for line in err.strip().splitlines() if line.strip()]
        assert len(lines) == 1 and "went away" in lines[0], err
        assert "it had created" in lines[0] or "it was creating container" in lines[0], err
    finally:
        simhost.start(sim_engine, ns)
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr  # converges: built, checked, torn down
    client = connect(sim_engine.url)
    try:
        assert client.containers.list(all=True, filters=labelled) == []
    finally:
        client.close()


def _shims_of(namespace: str) -> dict[str, int]:
    """container id → shim pid, for the shims of one containerd namespace (read here, not by dockerctl)."""
    out = {}
    for d in Path("/proc").iterdir():
        try:
            argv = [a.decode() for a in (d / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        if argv and "containerd-shim" in argv[0] and namespace in argv:
            out[argv[argv.index("-id") + 1]] = int(d.name)
    return out


def _veth_links(netns: str) -> list[dict[str, object]]:
    """The veths in a namespace, read with ip (not by dockerctl)."""
    out = subprocess.run(
        ["ip", "netns", "exec", netns, "ip", "-json", "link", "show", "type", "veth"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return list(json.loads(out or "[]"))


def _loose_veths(netns: str) -> list[str]:
    """veths attached to nothing, their peer beside them: a pair never moved into a sandbox."""
    return sorted(
        str(x["ifname"]) for x in _veth_links(netns) if "master" not in x and "link_netnsid" not in x
    )


def _bridged_veths(netns: str) -> set[str]:
    return {str(x["ifname"]) for x in _veth_links(netns) if "master" in x}


def test_what_a_killed_engine_lost_track_of_is_audited_then_cleaned(
    sim: tuple[Namespace, simhost.SimEngine, Engine],
    tmp_path: Path,
    engine: docker.DockerClient,
    base_image: str,
) -> None:
    """kill -9 of a dockerd while `play` starts containers leaves shims, cgroups, netns files and veths of
    containers it then calls created/exited (measured: 7 shims, 5 cgroups, 16 netns files for 24
    containers). `audit` lists them, `cleanup --orphans` ends and removes exactly those, and a container
    running on that engine and one on this engine stay."""
    ns, sim_engine, handle = sim
    namespace = sim_engine.containerd_namespace
    name = "lost-track"
    path = tmp_path / "many.yaml"
    path.write_text(
        SLOW.format(name=name, containers="\n".join(f"  c{i}: {{memory: 32M}}" for i in range(24)))
    )
    play = [sys.executable, "-m", "dockerctl", "-H", sim_engine.url, "play", str(path), "--parallel", "8"]
    dc = [sys.executable, "-m", "dockerctl", "-H", sim_engine.url]
    lost: dict[str, int] = {}
    client = handle.client
    for _ in range(3):  # a kill between two creates can leave nothing behind: try again, never skip
        proc = subprocess.Popen(play, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(client.api.containers(all=True)) < 10:
            time.sleep(0.02)
        simhost.kill(sim_engine)
        proc.communicate(timeout=120)
        simhost.start(sim_engine, ns)
        client = connect(sim_engine.url)
        states = {c["Id"]: c["State"] for c in client.api.containers(all=True)}
        lost = {cid: pid for cid, pid in _shims_of(namespace).items() if states.get(cid) != "running"}
        if lost:
            break
        subprocess.run(
            [*dc, "down", "--lab", name, "--volumes"], capture_output=True, timeout=300, check=False
        )
    assert lost, "no kill of the engine mid-play left a shim behind in 3 tries"
    keeper = client.containers.run(base_image, ["sleep", "600"], name="keeper-lost-track", detach=True)
    here = engine.containers.run(base_image, ["sleep", "600"], name="keeper-lost-track-local", detach=True)
    try:
        keeper.reload()
        here.reload()
        kept = (keeper.attrs["State"]["Pid"], here.attrs["State"]["Pid"])
        done = subprocess.run(
            [*dc, "audit", "--fail-on", "orphan", "--json"], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 1, done.stderr
        report = json.loads(done.stdout)
        listed = {
            f["found"].split("of container ")[1][:12] for f in report["orphans"] if "shim" in f["found"]
        }
        assert listed == {cid[:12] for cid in lost}
        cgroups = [
            f["evidence"].split(" on ")[0] for f in report["orphans"] if f["found"].startswith("cgroup")
        ]
        assert all(Path(c).is_dir() for c in cgroups)
        # the sandboxes: a netns file is listed when the engine will not remove it itself. The restarted
        # engine collects the unmounted files of the sandboxes it had (libnetwork: within 60 s); what it
        # has not removed after 75 s is exactly what was listed — the directory read here, not by dockerctl
        netns_dir = Path(sim_engine.exec_root) / "netns"
        keeper_box = keeper.attrs["NetworkSettings"]["SandboxKey"]
        listed_boxes = {
            f["found"].split("network namespace file ")[1].split(",")[0]
            for f in report["orphans"]
            if f["found"].startswith("network namespace file")
        }
        assert keeper_box not in listed_boxes

        def boxes() -> set[str]:
            return {str(p) for p in netns_dir.iterdir() if len(p.name) == 12} - {keeper_box}

        deadline = time.monotonic() + 75
        while time.monotonic() < deadline and boxes() - listed_boxes:
            time.sleep(1)
        assert boxes() == listed_boxes  # the engine removed every other; none it listed went away
        keeper_veth = _bridged_veths(ns.name)

        done = subprocess.run(
            [*dc, "cleanup", "--orphans", "--json"], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        ended = {e["container_id"] for e in json.loads(done.stdout)["ended"]}
        assert set(lost) <= ended
        assert not set(_shims_of(namespace)) & set(lost)  # the shims are gone ...
        assert not [c for c in cgroups if Path(c).exists()]  # ... and their cgroups
        assert boxes() == set()  # ... their netns files
        assert Path(keeper_box).exists()
        assert _loose_veths(ns.name) == [], (_veth_links(ns.name), done.stdout)  # ... no pair left unattached
        assert keeper_veth <= _bridged_veths(ns.name)  # the running container's veth stayed

        keeper.reload()
        here.reload()
        assert (keeper.attrs["State"]["Pid"], here.attrs["State"]["Pid"]) == kept  # the running ones stayed
        again = subprocess.run(
            [*dc, "audit", "--fail-on", "orphan"], capture_output=True, text=True, timeout=300
        )
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        here.remove(force=True)
        keeper.remove(force=True)
        subprocess.run(
            [*dc, "down", "--lab", name, "--volumes"], capture_output=True, timeout=300, check=False
        )
        client.close()


def test_the_exporter_keeps_answering_while_its_engine_restarts(
    sim: tuple[Namespace, simhost.SimEngine, Engine], base_image: str
) -> None:
    """An exporter whose engine is killed answers every scrape (its own figures, a read error counted, no
    half-written family) and reads the engine's containers again once it is back."""
    import socket
    import urllib.request

    ns, sim_engine, handle = sim
    handle.client.containers.run(base_image, ["sleep", "600"], name="scraped", detach=True, mem_limit="32m")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "dockerctl",
        "-H",
        sim_engine.url,
        "exporter",
        "--listen",
        f"127.0.0.1:{port}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def scrape() -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:  # loopback only
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def until(what: str, ok: Callable[[dict[str, float]], bool]) -> dict[str, float]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                got = scrape()
                if ok(got):
                    return got
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"not within 60 s: {what}")

    def limit_of(m: dict[str, float]) -> list[float]:
        return [
            v
            for k, v in m.items()
            if k.startswith("container_spec_memory_limit_bytes{") and 'name="scraped"' in k
        ]

    try:
        until("the container is scraped", lambda m: limit_of(m) == [32 * 2**20])
        simhost.kill(sim_engine)
        down = until("a scrape without the engine", lambda m: m.get("dockerctl_containers_seen") == 0)
        assert down["dockerctl_read_errors_total"] >= 1 and not limit_of(down)
        simhost.start(sim_engine, ns)
        handle.client.close()
        handle.client = connect(sim_engine.url)
        handle.client.containers.get("scraped").start()  # the engine does not restart it (no restart policy)
        until("the container is scraped again", lambda m: bool(limit_of(m)))
        assert proc.poll() is None  # it never stopped answering
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        handle.client.containers.get("scraped").remove(force=True)


def test_top_rides_out_its_engine_restart(
    sim: tuple[Namespace, simhost.SimEngine, Engine], base_image: str, tmp_path: Path
) -> None:
    """`top` in a real terminal (tmux) while its engine is killed and started again: the last figures stay
    on the screen under a line saying since when the engine has not answered, and the container's row
    comes back once the engine answers; q still quits with 0."""
    import uuid

    ns, sim_engine, handle = sim
    handle.client.containers.run(base_image, ["sleep", "600"], name="watched", detach=True, mem_limit="32m")
    session = f"dctltop{uuid.uuid4().hex[:6]}"
    status = tmp_path / "status"
    cmd = (
        f"env -u COLUMNS -u LINES {sys.executable} -m dockerctl -H {sim_engine.url} top --interval 0.5 watched;"
        f" echo $? > {status}"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "220", "-y", "30", cmd], check=True)

    def screen() -> str:
        argv = ["tmux", "capture-pane", "-p", "-t", session]
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    def until(what: str, ok: Callable[[str], bool], timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            last = screen()
            if ok(last):
                return last
            time.sleep(0.3)
        raise AssertionError(f"not within {timeout:g} s: {what}; the screen:\n{last}")

    client = None
    try:
        until("top shows the container", lambda s: "watched" in s and "32.0M" in s)
        simhost.kill(sim_engine)
        shown = until("top says the engine is not answering", lambda s: "engine not answering since" in s)
        assert "watched" in shown and "32.0M" in shown  # the last figures stay
        simhost.start(sim_engine, ns)
        client = connect(sim_engine.url)
        client.containers.get("watched").start()
        until(
            "top reads the engine again",
            lambda s: "engine not answering" not in s and "watched" in s and "32.0M" in s,
        )
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        until("top quits on q", lambda _: status.exists() and bool(status.read_text().strip()), timeout=30)
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
        if client is not None:
            client.close()
