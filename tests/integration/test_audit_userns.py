"""CIS 5.31 live: on an engine that remaps users (`--userns-remap`, a simulated host's dockerd), a
container that shares the host's user namespace (`--userns=host`) is found from its /proc/<pid>/ns/user
inode, and a remapped one is not — both checked against what the test reads from /proc itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from dockerctl.engines.client import connect
from dockerctl.engines.transfer import ship_image
from dockerctl.fabric import simhost
from dockerctl.fabric.netns import create_namespace, delete_namespace

NAME = "dctl-remap"


def _uid_map(pid: int) -> list[list[int]]:
    return [[int(x) for x in line.split()] for line in Path(f"/proc/{pid}/uid_map").read_text().splitlines()]


@pytest.fixture(scope="module")
def remapping(engine: docker.DockerClient, base_image: str) -> Iterator[tuple[str, docker.DockerClient]]:
    machine_subuid = Path("/etc/subuid").read_bytes(), Path("/etc/subgid").read_bytes()
    ns = create_namespace(NAME, lab="test-userns", host_addr="198.18.23.1/30", ns_addr="198.18.23.2/30")
    sim = simhost.SimEngine(NAME, "172.30.23.1/24", remap="nobody:nogroup")
    client: docker.DockerClient | None = None
    try:
        simhost.start(sim, ns)
        client = connect(sim.url)
        ship_image(engine, client, base_image)
        yield sim.url, client
    finally:
        if client is not None:
            client.close()
        simhost.stop(sim)
        simhost.purge(sim)
        delete_namespace(NAME)
    assert not Path(sim.socket).exists() and not sim.root.exists()
    assert not list(Path("/run").glob(f"dctl-{NAME}*")), list(Path("/run").glob(f"dctl-{NAME}*"))
    assert not [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if NAME in line]
    # the machine's own files were never written: the engine saw its own in its mount namespace
    assert (Path("/etc/subuid").read_bytes(), Path("/etc/subgid").read_bytes()) == machine_subuid


def test_a_container_sharing_the_hosts_user_namespace_is_found_on_a_remapping_engine(
    remapping: tuple[str, docker.DockerClient], base_image: str
) -> None:
    url, client = remapping
    assert any("name=userns" in o for o in client.info()["SecurityOptions"])  # the engine remaps
    remapped = client.containers.run(base_image, ["sleep", "600"], name="remapped", detach=True)
    shared = client.containers.run(
        base_image, ["sleep", "600"], name="hostuser", detach=True, userns_mode="host"
    )
    try:
        pids = {c.name: int(client.containers.get(c.id).attrs["State"]["Pid"]) for c in (remapped, shared)}
        # what the kernel says, read here: the remapped container's root is nobody's range, the other's is root
        first, count = simhost.SimEngine.REMAP_RANGE
        assert _uid_map(pids["remapped"]) == [[0, first, count]]
        assert _uid_map(pids["hostuser"]) == [[0, 0, 4294967295]]
        host_userns = os.readlink("/proc/self/ns/user")  # the simulated host shares this machine's
        assert os.readlink(f"/proc/{pids['hostuser']}/ns/user") == host_userns
        assert os.readlink(f"/proc/{pids['remapped']}/ns/user") != host_userns

        done = subprocess.run(
            [sys.executable, "-m", "dockerctl", "-H", url, "audit", "--json", "--fail-on", "host-userns"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert not [n for n in report.get("notes", []) if "does not remap" in n], report.get("notes")
        rules = {c["name"]: {f["rule"]: f for f in c["findings"]} for c in report["containers"]}
        found = rules["hostuser"]["host-userns"]
        inode = host_userns.split("[")[1].rstrip("]")
        assert found["cis"] == "5.31" and inode in found["found"], found
        assert "host-userns" not in rules["remapped"]
    finally:
        for c in (remapped, shared):
            c.remove(force=True)
    gone = subprocess.run(
        [sys.executable, "-m", "dockerctl", "-H", url, "audit", "--json", "--fail-on", "host-userns"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert gone.returncode == 0, gone.stdout + gone.stderr  # the finding went with its container
