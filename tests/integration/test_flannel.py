"""flannel's model on the real machine (seed X1, X2, X11): the shipped playbooks hold, and what they
claim is read again here without dockerctl — the keys and leases with `etcdctl`, the kernel with `ip` and
`bridge` in each host's namespace. Leases are renewed before their TTL runs out; a killed plugin or
etcd comes back with `hosts up` and the engines' later calls still work; the plugin answers what it does
not know with the protocol's Err; down leaves nothing (process, socket, device, route, etcd data)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dockerctl.plugins import daemon

from .kernel import wait_gone
from .netmodel_helpers import docker, doctor_models, in_ns, restart_engine_and_replay
from .test_labs_across_hosts import PLAYBOOKS, STATE, cli, machine_state

LAB, H1, H2 = "flannel-vxlan", "fvx1", "fvx2"
TTL = 20  # seconds: renewed when 10 are left (flannel: 24 h, within the last hour)


def etcdctl(*args: str) -> str:
    sock = STATE / "run" / "etcd" / LAB / "client.sock:0"  # root's alone: a unix socket in a 0700 directory
    done = subprocess.run(
        ["etcdctl", f"--endpoints=unix://{sock}", *args],
        capture_output=True, text=True, env={**os.environ, "ETCDCTL_API": "3"}, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("backend", ["host-gw", "vxlan"])
def test_the_shipped_flannel_playbooks_hold_and_leave_nothing(base_image: str, backend: str) -> None:
    before = machine_state()
    done = cli("play", str(PLAYBOOKS / f"flannel-{backend}.yaml"), "--json", timeout=600)
    report = json.loads(done.stdout or "{}")
    bad = [c for c in report.get("checks", []) if c["verdict"] != "enforced"]
    assert done.returncode == 0 and len(report["checks"]) == 8 and not bad, (done.stderr, bad)
    assert machine_state() == before


def test_flannel_vxlan_read_without_dockerctl(base_image: str, tmp_path: Path) -> None:
    before = machine_state()
    text = (PLAYBOOKS / "flannel-vxlan.yaml").read_text()
    text = text.replace("backend: vxlan}", f"backend: vxlan, lease_ttl: {TTL}}}")
    text = "\n".join(line for line in text.splitlines() if "lease_removed" not in line) + "\n"
    path = tmp_path / "flannel.yaml"
    path.write_text(text)
    try:
        started = time.monotonic()
        up = cli("play", str(path), "--keep", "--json", timeout=600)
        report = json.loads(up.stdout or "{}")
        assert up.returncode == 0 and report["ok"], (up.stderr, report.get("checks"))

        # etcd, read with etcdctl: flannel's own config and one lease per host
        lines = etcdctl("get", "--prefix", "/coreos.com/network/").splitlines()
        kv = dict(zip(lines[::2], lines[1::2], strict=True))
        assert json.loads(kv["/coreos.com/network/config"]) == {
            "Network": "10.6.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472},
        }  # fmt: skip
        leases = {json.loads(v)["PublicIP"]: (k, json.loads(v)) for k, v in kv.items() if "/subnets/" in k}
        assert sorted(leases) == ["198.18.111.10", "198.18.111.11"]
        key2, lease2 = leases["198.18.111.11"]
        subnet2 = key2.rsplit("/", 1)[1].replace("-", "/")
        assert lease2["BackendType"] == "vxlan" and lease2["BackendData"]["VNI"] == 1

        # fvx1's kernel: flannel.1 as flannel makes it, and exactly the three entries for fvx2's lease
        [dev] = json.loads(in_ns(H1, "ip", "-d", "-json", "link", "show", "dev", "flannel.1"))
        [eth0] = json.loads(in_ns(H1, "ip", "-json", "link", "show", "dev", "eth0"))
        info = dev["linkinfo"]["info_data"]
        assert (info["id"], info["port"], info["local"]) == (1, 8472, "198.18.111.10")
        assert dev["mtu"] == eth0["mtu"] - 50
        routes = [r for r in json.loads(in_ns(H1, "ip", "-json", "route")) if r.get("dev") == "flannel.1"]
        vtep2 = subnet2.split("/")[0]
        assert routes == [{"dst": subnet2, "gateway": vtep2, "dev": "flannel.1", "flags": ["onlink"]}]
        [neigh] = json.loads(in_ns(H1, "ip", "-json", "neigh", "show", "dev", "flannel.1"))
        assert (neigh["dst"], neigh["lladdr"]) == (vtep2, lease2["BackendData"]["VtepMAC"])
        fdb = [
            f
            for f in json.loads(in_ns(H1, "bridge", "-json", "fdb", "show", "dev", "flannel.1"))
            if f.get("dst")
        ]
        assert [(f["mac"], f["dst"]) for f in fdb] == [(lease2["BackendData"]["VtepMAC"], "198.18.111.11")]

        # the CNM made visible (X2, X14): sandbox, endpoint, network — and overlay, by its vxlan device
        cnm = cli("net", "cnm", f"{LAB}-fl1", "--json")
        [view] = json.loads(cnm.stdout)["hosts"]
        assert view["host"] == H1 and view["model"] == "overlay", view
        assert view["evidence"][0].startswith("flannel.1: vxlan, VNI 1, UDP 8472"), view
        pid = docker(H1, "inspect", "-f", "{{.State.Pid}}", f"{LAB}-a").stdout.strip()
        [ep] = [e for e in view["endpoints"] if e["container"] == f"{LAB}-a"]
        assert ep["netns"] == f"/proc/{pid}/ns/net" and ep["inode"] == str(os.stat(ep["netns"]).st_ino)
        assert ep["kind"] == "veth" and ep["host_end"].startswith("vfl") and "on flb-" in ep["host_end"], ep
        assert any(o.startswith(f"route {subnet2} via {vtep2} dev flannel.1") for o in view["network"]), view

        # renewal: without it the leases would be gone TTL seconds after they were taken
        time.sleep(max(0.0, TTL + 5 - (time.monotonic() - started)))
        for key, _ in leases.values():
            assert etcdctl("get", key).strip(), f"{key} expired: it was not renewed"

        # the plugin killed: `hosts up` serves it again, and the engine's next calls find their network
        rec = daemon.load("dockerctl-flannel")
        assert rec is not None and rec.pid
        os.kill(rec.pid, signal.SIGKILL)
        assert cli("hosts", "up", str(path)).returncode == 0
        again = daemon.load("dockerctl-flannel")
        assert again is not None and again.pid != rec.pid
        run = docker(H1, "run", "-d", "--name", "late", "--label", f"io.dockerctl.lab={LAB}",
                     "--label", "io.dockerctl.managed=true", "--network", f"{LAB}-fl1", base_image, "sleep", "300")  # fmt: skip
        assert run.returncode == 0, run.stderr
        b_ip = docker(
            H2, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", f"{LAB}-b"
        )
        ping = docker(H1, "exec", "late", "ping", "-c", "1", "-W", "2", b_ip.stdout.strip())
        assert ping.returncode == 0, ping.stdout + ping.stderr

        # doctor reads the same model back from fvx1's kernel, read-only (as on a real flanneld host)
        [model] = doctor_models(H1)
        assert (model["model"], model["verdict"], model["kind"]) == ("flannel vxlan", "consistent", "overlay")
        assert any(e.endswith("FDB dst 198.18.111.11") for e in model["evidence"]), model

        # fvx1's engine crashes under the running network: restarted, it replays its calls to the plugin
        restart_engine_and_replay(
            playbook=path,
            driver="dockerctl-flannel",
            host=H1,
            container="late",
            peer=f"{LAB}-b",
            peer_host=H2,
        )

        # what the plugin does not know: the protocol's Err, and it keeps serving
        sock = daemon.socket_path("dockerctl-flannel")
        status, answer = daemon.call(sock, "NetworkDriver.Bogus")
        assert status == 404 and "not implemented" in answer["Err"]
        status, answer = daemon.call(sock, "NetworkDriver.Join", {"NetworkID": "nope", "EndpointID": "x"})
        assert status == 500 and answer["Err"]  # this caller (the test) is no host of the lab
        assert daemon.implements(sock) == ("NetworkDriver", "IpamDriver")

        # etcd killed: the engine's call fails with one sentence naming etcd; `hosts up` brings it back
        etcd_pid = int((STATE / "etcd" / LAB / "etcd.pid").read_text())
        os.kill(etcd_pid, signal.SIGKILL)
        wait_gone(etcd_pid)
        failed = docker(
            H2, "network", "create", "-d", "dockerctl-flannel", "--ipam-driver", "dockerctl-flannel", "extra"
        )
        assert failed.returncode != 0 and "does not answer" in failed.stderr, failed.stderr
        assert cli("hosts", "up", str(path)).returncode == 0
        assert etcdctl("get", key2).strip()  # its data kept: the leases are still there
    finally:
        down = cli("down", "--lab", LAB, "--volumes")
        assert down.returncode == 0, down.stderr
    assert machine_state() == before  # no etcd, plugin, socket, device, namespace or state left
    assert not (STATE / "etcd" / LAB).exists() and not (STATE / "flannel" / LAB).exists()
    assert not (STATE / "run" / "etcd" / LAB).exists()  # etcd's sockets


def test_bad_flannel_input_changes_nothing(base_image: str, tmp_path: Path) -> None:
    before = machine_state()
    text = (PLAYBOOKS / "flannel-host-gw.yaml").read_text().replace("10.5.0.0/16", "10.5.0.0/23")
    path = tmp_path / "small.yaml"
    path.write_text(text)
    done = cli("play", str(path))
    assert done.returncode == 2 and "fewer than its 2 host(s)" in done.stderr, done.stderr
    assert f"{path}:" in done.stderr
    assert machine_state() == before
