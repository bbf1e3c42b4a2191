"""Labs across hosts on the real machine: bad input is one error at FILE:LINE with nothing made, a
lab leaves nothing behind (namespaces, processes, links, mounts, iptables rules, state — counted
independently of dockerctl, before and after), a simulated host's engine killed mid-play is named and
`down` still cleans up, and the hosts commands show and remove a lab's hosts."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

PLAYBOOKS = Path(__file__).parents[2] / "playbooks"
STATE = Path(os.environ.get("DOCKERCTL_STATE_DIR", "/var/lib/dockerctl-state"))


def _sh(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def _live_comms() -> list[str]:
    """The command names of the processes running now. A zombie is left out: it holds nothing, and a
    daemon dockerctl ended is a child of PID 1 (started detached), which reaps it in its own time."""
    rows = (line.split(None, 1) for line in _sh("ps", "-eo", "stat=,comm=").splitlines())
    return [row[1].strip() for row in rows if len(row) == 2 and not row[0].startswith("Z")]


def machine_state() -> dict[str, object]:
    """What a lab could leave on this machine, read without dockerctl."""
    procs = [
        line.strip()
        for line in _sh("ps", "-eo", "args").splitlines()
        if re.search(r"dctl-|/hosts/|containerd-shim.*dctl", line)
        and "ps -eo" not in line
        and "pytest" not in line
    ]
    return {
        "netns": sorted(_sh("ip", "netns", "list").split()),
        "links": sorted(link["ifname"] for link in json.loads(_sh("ip", "-json", "link"))),
        "processes": sorted(procs),
        "mounts": sorted(
            line.split()[4]
            for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if "dctl" in line or "/gluster/" in line or "glusterfs" in line
        ),
        "iptables": sorted(line for line in _sh("iptables-save").splitlines() if "dockerctl-lab=" in line),
        "state": sorted(
            p.name
            for d in (
                "hosts",
                "labhosts",
                "netns",
                "gluster",
                "plugins",
                "etcd",
                "flannel",
                "calico",
                "weave",
                "bench",
            )
            for p in (STATE / d).glob("*")
        ),
        "cgroups": sorted(str(p) for p in Path("/sys/fs/cgroup").glob("*/dctl-*")),
        # storage across hosts: glusterd, bricks, self-heal and FUSE clients; loop devices; plugin sockets
        "gluster": sorted(comm for comm in _live_comms() if "gluster" in comm),
        "loop": sorted(_sh("losetup", "-a").splitlines()),
        "plugins": sorted(p.name for p in Path("/run/docker/plugins").glob("*")),
        "etcd": sorted(comm for comm in _live_comms() if comm in ("etcd", "bird", "dnsmasq", "iperf3")),
        "gluster_sockets": sorted(p.name for p in Path("/var/run/gluster").glob("*.socket")),
    }


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


@pytest.fixture
def clean_machine(base_image: str) -> Iterator[dict[str, object]]:
    before = machine_state()
    yield before
    after = machine_state()
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return path


HEAD = "version: 1\nname: {name}\nhosts:\n  {h1}: {{kind: simulated}}\n  {h2}: {{kind: simulated}}\n"


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        ("containers:\n  a: {host: nowhere}\n", 7, "host 'nowhere' is not one of this playbook's hosts"),
        (
            "networks:\n  mv: {driver: macvlan, host: bh1, subnet: 198.18.100.0/24, options: {parent: eth9}}\n",
            7,
            "parent 'eth9': on simulated host bh1 the port on the lab switch is eth0",
        ),
        ("switch: {subnet: 10.1.0.0/24}\n", 6, "outside the lab range 198.18.0.0/15"),
        ("hosts:\n  far: {kind: remote}\n", 5, "a remote host needs url"),
    ],
    ids=["unknown-host", "macvlan-parent-missing", "switch-outside-lab-range", "remote-without-url"],
)
def test_bad_hosts_input_is_one_error_at_its_line_and_makes_nothing(
    tmp_path: Path, clean_machine: dict[str, object], body: str, line: int, says: str
) -> None:
    text = HEAD.format(name="badlab", h1="bh1", h2="bh2")
    if body.startswith("hosts:"):
        text = "version: 1\nname: badlab\nswitch: {subnet: 198.18.100.0/24}\n" + body
    path = _write(tmp_path, text + body if not body.startswith("hosts:") else text)
    done = cli("play", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path}:{line}:" in done.stderr and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_runtime_host_problems_are_errors_at_the_hosts_line_before_anything_is_made(
    tmp_path: Path, clean_machine: dict[str, object]
) -> None:
    # a remote host that does not answer (a socket nobody serves: no traffic leaves the machine)
    remote = _write(
        tmp_path,
        "version: 1\nname: badremote\nhosts:\n  here: {kind: local}\n  far: {kind: remote, url: unix:///run/dctl-absent.sock}\n",
    )
    done = cli("play", str(remote))
    assert done.returncode == 3 and f"{remote}:5:" in done.stderr and "does not answer" in done.stderr, (
        done.stderr
    )
    # a simulated host whose name is a namespace dockerctl did not make: left alone
    subprocess.run(["ip", "netns", "add", "dctlfrgn"], check=True)
    try:
        taken = _write(tmp_path, HEAD.format(name="badns", h1="dctlfrgn", h2="bh2"))
        done = cli("play", str(taken))
        assert done.returncode == 5 and f"{taken}:4:" in done.stderr, done.stderr
        assert "was not made by dockerctl" in done.stderr
        assert "dctlfrgn" in _sh("ip", "netns", "list")
    finally:
        subprocess.run(["ip", "netns", "del", "dctlfrgn"], check=False)
    # a switch subnet overlapping an address on this machine (a veth end the test makes)
    subprocess.run(["ip", "link", "add", "dctlovl0", "type", "veth", "peer", "name", "dctlovl1"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", "198.18.110.1/24", "dev", "dctlovl0"], check=True)
        overlap = _write(
            tmp_path, HEAD.format(name="badsw", h1="bh1", h2="bh2") + "switch: {subnet: 198.18.110.0/24}\n"
        )
        done = cli("play", str(overlap))
        assert (
            done.returncode == 2
            and f"{overlap}:6:" in done.stderr
            and "overlaps 198.18.110.1/24" in done.stderr
        )
    finally:
        subprocess.run(["ip", "link", "del", "dctlovl0"], check=False)


def test_overlay_lab_across_hosts_path_read_from_both_kernels_and_nothing_left(
    clean_machine: dict[str, object],
) -> None:
    try:
        done = cli("play", str(PLAYBOOKS / "overlay-hosts.yaml"), "--keep", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert set(report["hosts"]) == {"ovh1", "ovh2"} and report["ok"]
        path = cli(
            "-H", report["hosts"]["ovh1"], "net", "path", "overlay-hosts-a", "overlay-hosts-b", "--json"
        )
        assert path.returncode == 0, path.stdout + path.stderr
        hops = json.loads(path.stdout)["hops"]
        where = [(h["host"], h["what"]) for h in hops]
        assert where[0] == ("ovh1", "eth0 of overlay-hosts-a") and where[-1] == (
            "ovh2",
            "eth0 of overlay-hosts-b",
        )
        vx = [h for h in hops if h["what"] == "vxlan0"]
        assert [h["host"] for h in vx] == ["ovh1", "ovh2"]
        assert "VTEP 198.18.100.11" in vx[0]["detail"] and "VTEP 198.18.100.10" in vx[1]["detail"]
        assert all("VNI 4097" in h["detail"] or "VNI" in h["detail"] for h in vx)
        assert [h["detail"].split()[1] for h in hops if h["what"] == "lab switch"] == ["dh-ovh1", "dh-ovh2"]
        # the VNI is the kernel's: the same on both hosts
        assert len({h["detail"].split(",")[0] for h in vx}) == 1
    finally:
        assert cli("down", "--lab", "overlay-hosts", "--volumes").returncode == 0


def test_hosts_up_ls_doctor_and_down(clean_machine: dict[str, object]) -> None:
    up = cli("hosts", "up", str(PLAYBOOKS / "macvlan-hosts.yaml"), "--json")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        hosts = {h["name"]: h for h in json.loads(up.stdout)["hosts"]}
        assert hosts["mvh1"]["address"] == "198.18.102.10" and hosts["mvh2"]["address"] == "198.18.102.11"
        assert all(h["engine"].startswith("Docker") for h in hosts.values())
        listed = json.loads(cli("hosts", "ls", "--json").stdout)["hosts"]
        assert {h["name"] for h in listed} >= {"mvh1", "mvh2"}
        doctor = json.loads(cli("doctor", "--lab-host", "mvh2", "--json").stdout)
        assert doctor["kernel"] == "netns:mvh2" and doctor["engine_reachable"]
        topics = {c["topic"]: c for c in doctor["capabilities"]}
        # X10: 802.1q sub-interfaces are reported as this kernel lacks them, from the host's own stack
        assert topics["link type vlan"]["verdict"] == "not-supported"
        assert cli("doctor", "--lab-host", "nosuch").returncode == 2
        _exporter_outlives_its_hosts(hosts["mvh1"]["url"])
    finally:
        down = cli("hosts", "down", "--lab", "macvlan-hosts")
    assert down.returncode == 0, down.stdout + down.stderr


def _scrape(port: int) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:  # loopback only
        text = r.read().decode()
    assert text.rstrip().splitlines()[-1].startswith("dockerctl_scrape_duration_seconds "), text  # whole
    return {
        key: float(value)
        for line in text.splitlines()
        if line and not line.startswith("#")
        for key, _, value in [line.rpartition(" ")]
    }


def _exporter_outlives_its_hosts(url: str) -> None:
    """`exporter --host` reads each lab host's kernel; when the lab's hosts go away under it (`hosts down`:
    engines stopped, namespaces deleted) every scrape still answers, whole, with those engines down."""
    import socket

    with contextlib.closing(docker.DockerClient(base_url=url)) as client:
        client.containers.run("dockerctl/base:latest", ["sleep", "600"], name="exp-on-mvh1", detach=True,
                              mem_limit="48m", labels={"dctl-test": "exporter"})  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "exporter", "--listen", f"127.0.0.1:{port}", "--lab-host", "mvh1",
         "--lab-host", "mvh2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline, got = time.monotonic() + 60, {}
        while time.monotonic() < deadline and not got:
            try:
                got = _scrape(port)
            except OSError:
                time.sleep(0.3)
        ups = {k: v for k, v in got.items() if k.startswith("dockerctl_engine_up{")}
        assert sorted(ups.values()) == [1.0, 1.0] and 'host="mvh1"' in " ".join(ups), got
        [limit] = [v for k, v in got.items()
                   if k.startswith("container_spec_memory_limit_bytes{") and 'name="exp-on-mvh1"' in k]  # fmt: skip
        assert limit == 48 * 2**20
        down = cli("hosts", "down", "--lab", "macvlan-hosts")
        assert down.returncode == 0, down.stdout + down.stderr
        assert not Path("/var/run/netns/mvh1").exists()
        for _ in range(3):  # every scrape whole, the hosts down, nothing read, the errors counted
            after = _scrape(port)
            ups = {k: v for k, v in after.items() if k.startswith("dockerctl_engine_up{")}
            assert sorted(ups.values()) == [0.0, 0.0], after
            assert after["dockerctl_containers_seen"] == 0 and after["dockerctl_read_errors_total"] >= 2
            assert not [k for k in after if k.startswith("container_")], after
        assert proc.poll() is None, proc.communicate()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err


def test_a_hosts_engine_killed_mid_play_is_named_and_down_cleans_everything(
    tmp_path: Path, clean_machine: dict[str, object]
) -> None:
    body = "\n".join(f"  c{i}: {{host: kh2, memory: 32M}}" for i in range(10))
    path = _write(tmp_path, HEAD.format(name="killhost", h1="kh1", h2="kh2") + "containers:\n" + body + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "play", str(path), "--parallel", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pidfile = STATE / "hosts" / "kh2" / "dockerd.pid"
    sock = "/run/dctl-kh2.sock"
    deadline = time.monotonic() + 120
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if pidfile.exists() and Path(sock).exists():
            listing = subprocess.run(
                ["docker", "-H", f"unix://{sock}", "ps", "-aq", "--filter", "label=io.dockerctl.lab=killhost"],
                capture_output=True, text=True, check=False,
            ).stdout  # fmt: skip
            if listing.strip():
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
                killed = True
                break
        time.sleep(0.05)
    out, err = proc.communicate(timeout=300)
    try:
        assert killed, "the play finished before a container of kh2 appeared"
        assert proc.returncode == 3, out + err
        assert "Traceback" not in err and "went away" in err and "host kh2" in err, err
    finally:
        down = cli("down", "--lab", "killhost", "--volumes")
        assert down.returncode == 0, down.stdout + down.stderr


def test_limits_of_a_service_one_row_per_task_read_on_its_node(clean_machine: dict[str, object]) -> None:
    try:
        up = cli("play", str(PLAYBOOKS / "swarm-service-limits.yaml"), "--keep", "--json")
        assert up.returncode == 0, up.stdout + up.stderr
        manager = json.loads(up.stdout)["hosts"]["svh1"]
        done = cli("-H", manager, "limits", "swarm-service-limits-web", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        tasks = json.loads(done.stdout)["tasks"]
        assert len(tasks) == 2 and {t["host"] for t in tasks} == {"svh1", "svh2"}
        for t in tasks:
            memory = next(c for c in t["checks"] if c["subject"] == "memory")
            assert memory["verdict"] == "enforced" and memory["observed"].startswith("67108864")
            assert f"/dctl-{t['host']}/" in memory["evidence"]  # read in that node's own cgroup tree
    finally:
        assert cli("down", "--lab", "swarm-service-limits", "--volumes").returncode == 0


TWO_OVERLAYS = """version: 1
name: duo
hosts:
  duh1: {kind: simulated}
  duh2: {kind: simulated}
swarm: true
networks:
  n1: {driver: overlay, attachable: true}
  n2: {driver: overlay, attachable: true}
containers:
  x: {host: duh1, networks: [n1, n2]}
  y: {host: duh2, networks: [n1, n2]}
expect:
  - {claim: X3, reachable: {from: x, to: y, by: name}}
  - {claim: X3, reachable: {from: y, to: x, by: ip}}
"""


def test_a_worker_container_on_two_attachable_overlays(
    clean_machine: dict[str, object], tmp_path: Path
) -> None:
    """A container on a swarm worker attached to two attachable overlays: the second is connected through
    the engine's connect endpoint (as `docker network connect` does); looking the overlay up on the
    worker first failed — `network duo-n2 not found` — because a worker lists it only once attached."""
    path = _write(tmp_path, TWO_OVERLAYS)
    try:
        done = cli("play", str(path), "--keep", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        y = subprocess.run(
            ["docker", "-H", report["hosts"]["duh2"], "inspect", "duo-y", "--format", "{{json .NetworkSettings.Networks}}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert set(json.loads(y)) == {"duo-n1", "duo-n2"}  # read with the docker CLI on the worker
    finally:
        assert cli("down", "--lab", "duo", "--volumes").returncode == 0


PUBLISHED_ON_A_HOST = """version: 1
name: pubh
hosts:
  pbh1: {kind: simulated}
switch: {subnet: 198.18.114.0/24}
containers:
  web:
    host: pbh1
    publish: ["127.0.0.1::8080"]
    command: nc -ll -p 8080 -e echo published
expect:
  - {claim: O2, published: {container: web, port: 8080}}
"""


def test_a_port_published_on_a_simulated_host_answers_there(
    clean_machine: dict[str, object], tmp_path: Path
) -> None:
    """A published port is on the container's own host: the check connects inside that host's network
    namespace (it connected from this machine, where nothing listens on that port, and failed)."""
    done = cli("play", str(_write(tmp_path, PUBLISHED_ON_A_HOST)), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    [check] = [c for c in json.loads(done.stdout)["checks"] if c["claim"] == "O2"]
    assert check["ok"] and "'published'" in check["observed"], check
    assert check["evidence"].endswith("on netns:pbh1"), check  # connected inside the host's namespace


def test_the_single_host_overlay_lab_leaves_no_docker_gwbridge(engine: docker.DockerClient) -> None:
    """The overlay playbook joins swarm mode on this engine and leaves it; the docker_gwbridge that swarm
    made is removed with it (one that was there before the lab would stay)."""

    def gwbridge() -> bool:
        return bool(engine.networks.list(names=["docker_gwbridge"]))

    before = gwbridge()
    if engine.info()["Swarm"]["LocalNodeState"] != "inactive":
        pytest.skip("the engine is in a swarm of its own: the lab would not leave it")
    done = cli("play", str(PLAYBOOKS / "overlay.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert engine.info()["Swarm"]["LocalNodeState"] == "inactive"
    assert gwbridge() == before
