"""Issue 36, findings 3-5: `audit` and `cleanup --orphans` act only on what is this engine's own.

- A second engine on the host (its own data and exec root, containerd's default `moby` namespace, the same
  `docker/` cgroup parent) runs a job: it is no orphan of ours, and `cleanup --orphans` leaves it running.
- A program an unprivileged user names `dockerd`, claiming our data root, is never taken for the engine.
- A container on its way up (a fresh shim, Pid 0 in the engine's eyes) is not an orphan.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from dockerctl.engines.engine import Engine, local_engine
from dockerctl.hosts import LocalHost
from dockerctl.observe import orphans as observe_orphans
from dockerctl.observe.engine_process import engine_process
from dockerctl.ops.audit import audit, clean_orphans

BRIDGE_NET = "198.19.251.1/24"  # inside the lab range (198.18.0.0/15): no traffic leaves the machine


def _shim_pids(container_id: str) -> list[int]:
    out = []
    for pid, argv in LocalHost().cmdlines().items():
        if argv and "containerd-shim" in argv[0] and container_id in argv:
            out.append(pid)
    return out


@pytest.fixture
def second_engine(base_image: str) -> Iterator[docker.DockerClient]:
    """A second dockerd on this host as docker-in-docker or a CI runner's would be: its own data root,
    exec root and bridge, and everything else left at the defaults (containerd namespace `moby`, cgroup
    parent `docker`). Its bridge is its own (`--bridge none` would delete the host's docker0)."""
    tag = uuid.uuid4().hex[:6]
    bridge = f"dctlt{tag}"
    run = Path(tempfile.mkdtemp(prefix="dctl-e2-", dir="/run"))  # short: containerd's socket lives inside
    data = Path(tempfile.mkdtemp(prefix="dctl-e2-data-", dir="/var/lib"))
    sock = run / "d.sock"
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True)
    proc: subprocess.Popen[bytes] | None = None
    client: docker.DockerClient | None = None
    try:
        subprocess.run(["ip", "addr", "add", BRIDGE_NET, "dev", bridge], check=True)
        subprocess.run(["ip", "link", "set", bridge, "up"], check=True)
        log = (run / "dockerd.log").open("wb")
        proc = subprocess.Popen(
            ["dockerd", "--data-root", str(data), "--exec-root", str(run / "x"), "-H", f"unix://{sock}",
             "--pidfile", str(run / "d.pid"), "--bridge", bridge, "--iptables=false", "--ip-masq=false",
             "--ip-forward=false", "--userland-proxy=false"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                client = docker.DockerClient(base_url=f"unix://{sock}", timeout=60)
                client.ping()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError((run / "dockerd.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        saved = subprocess.run(["docker", "save", base_image], capture_output=True, check=True).stdout
        client.images.load(saved)
        yield client
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                for c in client.containers.list(all=True):
                    c.remove(force=True)
            client.close()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        subprocess.run(["ip", "link", "del", bridge], check=False)
        subprocess.run(["umount", "-R", str(run / "x")], capture_output=True, check=False)
        subprocess.run(["umount", "-R", str(data)], capture_output=True, check=False)
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def ours(engine: docker.DockerClient) -> Iterator[Engine]:
    yield local_engine(engine)


def test_another_engines_job_is_no_orphan_and_cleanup_leaves_it_running(
    second_engine: docker.DockerClient, ours: Engine, base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = second_engine.containers.run(base_image, ["sleep", "600"], name="ci-job", detach=True)
    job.reload()
    pid = int(job.attrs["State"]["Pid"])
    shims = _shim_pids(str(job.id))
    assert pid > 0 and shims, "the second engine's job has a process and a shim"
    # only the engine's own identity protects it here, not the age of its shim
    monkeypatch.setattr(observe_orphans, "GRACE", 0.0, raising=False)

    report = audit(ours)
    named = [o for o in report.orphans if str(job.id)[:12] in o.found or str(job.id)[:12] in o.evidence]
    assert named == [], [o.found for o in report.orphans]

    cleaned = clean_orphans(ours)
    assert str(job.id) not in {e.container_id for e in cleaned.ended}
    assert Path(f"/proc/{pid}").exists() and all(Path(f"/proc/{s}").exists() for s in shims)
    job.reload()
    assert job.status == "running" and int(job.attrs["State"]["Pid"]) == pid


def test_a_fake_dockerd_of_an_unprivileged_user_is_never_the_engine(ours: Engine) -> None:
    """A user's program named `dockerd` that claims the engine's data root and its own containerd."""
    fake_root = tempfile.mkdtemp(prefix="dctl-fake-")
    os.chmod(fake_root, 0o755)
    code = "import time; time.sleep(120)"
    argv = ["dockerd", "-c", code, "--data-root", "/var/lib/docker", "--exec-root", fake_root,
            "--containerd-namespace", "fake", "--containerd", f"{fake_root}/c.sock"]  # fmt: skip
    fake = subprocess.Popen(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--",
         sys.executable, "-c", f"import os, sys; os.execv(sys.executable, {argv!r})"],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while "dockerd" not in Path(f"/proc/{fake.pid}/cmdline").read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        found = engine_process(ours.host, ours.url)
        assert not isinstance(found, str), found
        assert found.pid != fake.pid and found.uid == 0
        assert Path(f"/proc/{found.pid}/exe").resolve().name == "dockerd"
        layout = observe_orphans.layout_of(ours.host, ours.url, "/var/lib/docker", "cgroupfs")
        assert not isinstance(layout, str), layout
        assert layout.daemon_pid == found.pid and layout.namespace == "moby"
        assert not layout.containerd.startswith(fake_root)
    finally:
        fake.kill()
        fake.wait(10)
        shutil.rmtree(fake_root, ignore_errors=True)


def test_containers_on_their_way_up_are_not_orphans(
    ours: Engine, engine: docker.DockerClient, base_image: str
) -> None:
    """While containers are created and started one after another, no audit calls one of them lost."""
    label = f"dctl-trust-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    made: list[str] = []

    def churn() -> None:
        while not stop.is_set():
            c = engine.containers.create(base_image, ["sleep", "30"], labels={label: "1"})
            made.append(str(c.id))
            c.start()

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            seen += [o.found for o in audit(ours).orphans if any(m[:12] in o.found for m in made)]
        assert made and seen == [], seen
    finally:
        stop.set()
        worker.join(30)
        for c in engine.containers.list(all=True, filters={"label": label}):
            c.remove(force=True)
