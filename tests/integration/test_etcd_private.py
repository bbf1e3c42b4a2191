"""Finding 7 of issue 36: a lab's etcd is root's alone (seed X11).

etcd has no authentication here, and what it holds — flannel's leases — root programs into the labs'
kernels (routes, FDB entries). It listened on loopback TCP ports, so any local user could read and
rewrite the leases, or take a recorded port while etcd was down. Now it listens on unix sockets only, in
root's 0700 runtime directory. Read here without dockerctl: every socket the running etcd listens on
(from /proc), each tried as user nobody (uid 65534) — connect, etcdctl get, etcdctl put — before and after
etcd is killed and brought back; root's lab keeps its leases and its traffic all along."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
from pathlib import Path

from .kernel import wait_gone
from .netmodel_helpers import address_of, docker
from .test_labs_across_hosts import STATE, cli, machine_state

LAB, H1, H2 = "flannel-private", "fpr1", "fpr2"
NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--"]
PREFIX = "/coreos.com/network/"
PLANTED = f"{PREFIX}subnets/10.11.99.0-24"  # a lease a local user would plant: root would route it
PLAYBOOK = f"""version: 1
name: {LAB}
hosts:
  {H1}: {{kind: simulated}}
  {H2}: {{kind: simulated}}
switch: {{subnet: 198.18.118.0/24}}
flannel: {{network: 10.11.0.0/16, backend: host-gw}}
networks:
  fl1: {{driver: dockerctl-flannel, host: {H1}}}
  fl2: {{driver: dockerctl-flannel, host: {H2}}}
containers:
  a: {{host: {H1}, networks: [fl1]}}
  b: {{host: {H2}, networks: [fl2]}}
expect:
  - {{claim: X11, reachable: {{from: a, to: b, by: ip}}}}
  - {{claim: X11, flannel: {{}}}}
"""


def _etcd_pid() -> int:
    return int((STATE / "etcd" / LAB / "etcd.pid").read_text())


def listening(pid: int) -> list[str]:
    """Every endpoint process `pid` listens on, as etcdctl takes it: TCP (`http://ip:port`) from its
    network namespace's tables, unix (`unix://path`, a relative one joined to its working directory)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    found = []
    for table, size in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                hexip, hexport = f[1].split(":")
                raw = bytes.fromhex(hexip)
                ip = ipaddress.ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, size, 4)))
                host = ("127.0.0.1" if size == 4 else "::1") if ip.is_unspecified else str(ip)
                found.append(f"http://{host if size == 4 else f'[{host}]'}:{int(hexport, 16)}")
    cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    for line in Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]:
        f = line.split()
        # Num RefCount Protocol Flags Type St Inode Path; flags 00010000: listening (SO_ACCEPTCON)
        if len(f) >= 8 and f[6] in inodes and int(f[3], 16) & 0x10000 and not f[7].startswith("@"):
            found.append(f"unix://{cwd / f[7]}")
    return sorted(found)


def etcdctl(endpoint: str, *args: str, user: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(user or []), "etcdctl", "--dial-timeout=2s", "--command-timeout=3s", f"--endpoints={endpoint}", *args],
        capture_output=True, text=True, timeout=30, check=False, cwd="/",
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ETCDCTL_API": "3"},
    )  # fmt: skip


def connects_as_nobody(endpoint: str) -> str:
    """What a plain connect by uid 65534 got: "connected", or the error's name."""
    if endpoint.startswith("unix://"):
        family, address = "AF_UNIX", repr(endpoint[len("unix://") :])
    else:
        hostport = endpoint[len("http://") :]
        host, port = hostport.rsplit(":", 1)
        family = "AF_INET6" if host.startswith("[") else "AF_INET"
        address = repr((host.strip("[]"), int(port)))
    code = (
        "import socket\n"
        f"s = socket.socket(socket.{family}, socket.SOCK_STREAM)\n"
        "s.settimeout(3)\n"
        f"try:\n    s.connect({address})\n    print('connected')\n"
        "except OSError as e:\n    print(type(e).__name__)\n"
    )
    done = subprocess.run(
        [*NOBODY, "/usr/bin/python3", "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd="/",
    )
    return done.stdout.strip() or done.stderr.strip()


def assert_nobody_is_kept_out(endpoints: list[str]) -> None:
    """uid 65534 neither connects to, reads nor writes any of `endpoints` (every breach named at once)."""
    lease = json.dumps({"PublicIP": "198.18.118.66", "BackendType": "host-gw"})
    breaches = []
    for ep in endpoints:
        if connects_as_nobody(ep) == "connected":
            breaches.append(f"connects to {ep}")
        read = etcdctl(ep, "get", "--prefix", PREFIX, user=NOBODY)
        if read.returncode == 0 or PREFIX in read.stdout:
            breaches.append(f"reads {ep}: {read.stdout.count('/subnets/')} lease(s) {read.stdout[:300]!r}")
        wrote = etcdctl(ep, "put", PLANTED, lease, user=NOBODY)
        if wrote.returncode == 0:
            breaches.append(f"writes {ep}: put {PLANTED} -> {wrote.stdout.strip()}")
    assert not breaches, "uid 65534 " + "; ".join(breaches)


def test_a_local_user_can_neither_read_nor_write_the_labs_etcd(base_image: str, tmp_path: Path) -> None:
    before = machine_state()
    path = tmp_path / "flannel-private.yaml"
    path.write_text(PLAYBOOK)
    try:
        up = cli("play", str(path), "--keep", "--json", timeout=600)
        report = json.loads(up.stdout or "{}")
        assert up.returncode == 0 and report["ok"], (up.stderr, report.get("checks"))

        endpoints = listening(_etcd_pid())
        assert endpoints, "the lab's etcd listens nowhere"
        client = [ep for ep in endpoints if etcdctl(ep, "endpoint", "health").returncode == 0]
        assert client, f"root reaches etcd's client API on none of {endpoints}"
        leases = etcdctl(client[0], "get", "--prefix", PREFIX)
        assert leases.returncode == 0 and leases.stdout.count("/subnets/") == 2, leases

        assert_nobody_is_kept_out(endpoints)
        assert all(ep.startswith("unix://") for ep in endpoints), endpoints  # not a TCP port at all

        # etcd killed and brought back: again nothing but root's sockets, and nobody still kept out
        pid = _etcd_pid()
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid)
        assert cli("hosts", "up", str(path)).returncode == 0
        again = listening(_etcd_pid())
        assert again == endpoints, (endpoints, again)
        assert_nobody_is_kept_out(again)

        # root's lab still works: the same leases, no planted one, and a reaches b across the hosts
        now = etcdctl(client[0], "get", "--prefix", PREFIX)
        assert now.returncode == 0 and now.stdout == leases.stdout and PLANTED not in now.stdout
        ping = docker(H1, "exec", f"{LAB}-a", "ping", "-c", "1", "-W", "2", address_of(H2, f"{LAB}-b"))
        assert ping.returncode == 0, ping.stdout + ping.stderr
    finally:
        down = cli("down", "--lab", LAB, "--volumes")
        assert down.returncode == 0, down.stderr
    assert machine_state() == before
    assert not (STATE / "etcd" / LAB).exists() and not (STATE / "run" / "etcd" / LAB).exists()
