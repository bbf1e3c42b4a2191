"""An engine reached over ssh reads the kernel on that machine, over ssh; an engine reached over TCP
says its kernel cannot be read from here — never reading this machine's by mistake.

The "remote machine" is an sshd (Debian openssh-server) that the test starts inside a network
namespace it makes, in its own UTS namespace (hostname dctl-sshd), with a host key and a client key
the test generates; docker-py reaches the engine over the same ssh (`docker system dial-stdio`). The
sshd, the namespace and the veth pair are removed when the module ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from dockerctl.engines.engine import connect_engine
from dockerctl.fabric.netns import create_namespace, delete_namespace
from dockerctl.hosts import KernelUnreachable, SshHost

NS = "dctl-ssh"
ADDR = "198.18.21.2"
URL = f"ssh://root@{ADDR}"


@dataclass
class Remote:
    url: str
    config: str  # ssh_config for dockerctl (DOCKERCTL_SSH_CONFIG)
    log: Path  # sshd's log: one "Accepted publickey" per connection

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKERCTL_SSH_CONFIG": self.config, "COLUMNS": "200"}

    def accepted(self) -> int:
        return self.log.read_text(errors="replace").count("Accepted publickey")


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Iterator[Remote]:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(sshd):
        pytest.fail("openssh-server is not installed (scripts/setup installs it)")
    d = tmp_path_factory.mktemp("sshd")
    d.chmod(0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
    (d / "authorized_keys").chmod(0o600)
    (d / "sshd_config").write_text(
        f"ListenAddress {ADDR}\nPort 22\nHostKey {d / 'host_key'}\nAuthorizedKeysFile {d / 'authorized_keys'}\n"
        f"PidFile {d / 'sshd.pid'}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxSessions 50\nMaxStartups 50\n"
    )
    config = d / "ssh_config"
    config.write_text(
        f"Host {ADDR}\n  IdentityFile {d / 'client_key'}\n  IdentitiesOnly yes\n  UserKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking no\n  LogLevel ERROR\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    create_namespace(NS, lab="test-ssh", host_addr="198.18.21.1/30", ns_addr=f"{ADDR}/30")
    log = d / "sshd.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                ["nsenter", f"--net=/var/run/netns/{NS}", "--", "unshare", "--uts", "--", "sh", "-c",
                 f"hostname dctl-sshd && exec {sshd} -D -e -f {d / 'sshd_config'}"],
                stdout=out, stderr=out,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                SshHost(URL, config=str(config)).run(["true"])
                break
            except KernelUnreachable as exc:
                if time.monotonic() > deadline:
                    pytest.fail(f"sshd in {NS} did not answer: {exc}; log: {log.read_text(errors='replace')}")
                time.sleep(0.2)
        yield Remote(URL, str(config), log)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        delete_namespace(NS)
    assert NS not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_ssh_host_runs_commands_and_reads_files_on_the_remote(remote: Remote) -> None:
    host = SshHost(remote.url, config=remote.config)
    try:
        assert host.run(["hostname"]).stdout.strip() == "dctl-sshd"  # its own UTS namespace
        assert host.read_text("/proc/sys/kernel/hostname") == "dctl-sshd\n"
        addrs = json.loads(host.run(["ip", "-json", "addr", "show", "eth0"]).stdout)
        assert [a["local"] for a in addrs[0]["addr_info"] if a["family"] == "inet"] == [ADDR]
        assert host.read_text("/nonexistent/file") is None
        assert socket.gethostname() != "dctl-sshd"
    finally:
        host.close()


def test_an_ssh_host_that_does_not_answer_is_unreachable_not_a_missing_file(remote: Remote) -> None:
    host = SshHost("ssh://root@198.18.21.3", config=remote.config, connect_timeout=2)
    with pytest.raises(KernelUnreachable, match=re.escape("cannot reach ssh://root@198.18.21.3")):
        host.read_text("/proc/self/cgroup")


def test_limits_over_ssh_are_read_on_that_machine(
    remote: Remote, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    # the container runs on the engine behind the ssh host (this machine's engine, reached through it)
    eng = connect_engine(remote.url, ssh_config=remote.config)
    try:
        assert eng.client.ping() and eng.host.name == remote.url
    finally:
        eng.close()
    env = remote.env()
    name = f"{lab}-over-ssh"
    run = subprocess.run(
        [sys.executable, "-m", "dockerctl", "-H", remote.url, "run", "--lab", lab, "--name", name,
         "-m", "100M", "--pids-limit", "40", "--verify", "--json", base_image],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    before = remote.accepted()
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "-H", remote.url, "limits", name, "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["kernel"] == remote.url
    checks = {c["subject"]: c for c in report["checks"]}
    assert checks["memory"]["verdict"] == "enforced" and checks["memory"]["observed"].startswith("104857600")
    assert checks["pids"]["verdict"] == "enforced"
    assert remote.accepted() > before  # the cgroup files were read through sshd

    # audit over the same ssh host: its kernel's figures for the container, nothing lost track of
    before = remote.accepted()
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "-H", remote.url, "audit", "--json", "--fail-on", "none"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    audit = json.loads(done.stdout)
    [row] = [c for c in audit["containers"] if c["name"] == name]
    mine = engine.containers.get(name).id[:12]  # this shared engine may list what earlier daemons left
    assert not [o for o in audit["orphans"] if mine in o["found"] or o["container"] == name], audit["orphans"]
    assert audit["host"] == remote.url and row["group"] == f"dockerctl lab {lab}"
    assert row["pressure"]["memory_limit_bytes"] == 104857600 and row["pressure"]["pids_max"] == 40
    rules = {f["rule"] for f in row["findings"]}
    assert not {"no-memory-limit", "no-pids-limit"} & rules and "writable-root" in rules
    assert remote.accepted() > before


class _Relay:
    """The local engine's socket exposed on 127.0.0.1:PORT (a TCP engine, as `-H tcp://` reaches one)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX)
            up.connect("/var/run/docker.sock")
            for a, b in ((conn, up), (up, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()


def test_a_tcp_engine_says_its_kernel_cannot_be_read_and_reads_nothing_here(
    engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    relay = _Relay()
    url = f"tcp://127.0.0.1:{relay.port}"
    env = {**os.environ, "DOCKER_HOST": url, "COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dockerctl", *args], capture_output=True, text=True, env=env, timeout=120
        )

    try:
        name = f"{lab}-tcp"
        made = cli("run", "--lab", lab, "--name", name, "-m", "64M", base_image)
        assert made.returncode == 0, made.stderr  # the engine itself is fine over TCP
        limits = cli("limits", name, "--json")
        assert limits.returncode == 7, limits.stdout + limits.stderr  # as ns and mounts: KERNEL_UNREACHABLE
        assert "cannot read its kernel" in limits.stderr and len(limits.stderr.strip().splitlines()) == 1
        report = json.loads(limits.stdout)
        assert report["checks"] and all(c["verdict"] == "unknown" for c in report["checks"])
        assert all(c["evidence"] == "" for c in report["checks"])  # no file was read
        assert any("cannot be verified from here" in w for w in report["warnings"])
        ns = cli("ns", name)
        assert ns.returncode == 7 and "Traceback" not in ns.stderr
        assert "cannot read its kernel" in ns.stderr and len(ns.stderr.strip().splitlines()) == 1
        doctor = json.loads(cli("doctor", "--json").stdout)
        assert {c["topic"]: c["verdict"] for c in doctor["capabilities"]}["kernel readable"] == "unknown"
        assert not any(c["topic"] == "memory limit" for c in doctor["capabilities"])
    finally:
        relay.close()
