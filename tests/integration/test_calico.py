"""calico's model on the real machine (seed X1, X2, X13): the shipped playbook holds, and what it claims
is read again here without dockerctl — etcd's block affinities with `etcdctl`, the kernels with `ip`,
`sysctl` and `iptables` in each host's namespace, BGP with `birdc`. A host's BIRD killed withdraws its
block from the other host; `hosts up` brings it back. down leaves nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from .netmodel_helpers import docker, doctor_models, in_ns, restart_engine_and_replay
from .test_labs_across_hosts import PLAYBOOKS, STATE, cli, machine_state

LAB, H1, H2 = "calico-policy", "cal1", "cal2"
PLAYBOOK = PLAYBOOKS / "calico-policy.yaml"


def bird_routes(host: str) -> list[dict[str, object]]:
    return [r for r in json.loads(in_ns(host, "ip", "-json", "route")) if r.get("protocol") == "bird"]


def test_the_shipped_calico_playbook_holds_and_leaves_nothing(base_image: str) -> None:
    before = machine_state()
    done = cli("play", str(PLAYBOOK), "--json", timeout=600)
    report = json.loads(done.stdout or "{}")
    bad = [c for c in report.get("checks", []) if c["verdict"] != "enforced"]
    assert done.returncode == 0 and len(report["checks"]) == 10 and not bad, (done.stderr, bad)
    assert machine_state() == before


def test_calico_read_without_dockerctl(base_image: str) -> None:
    before = machine_state()
    try:
        up = cli("play", str(PLAYBOOK), "--keep", "--json", timeout=600)
        assert up.returncode == 0, up.stderr

        # etcd: one block per host, in calico's affinity layout
        sock = STATE / "run" / "etcd" / LAB / "client.sock:0"  # root's alone: a unix socket, 0700 directory
        keys = subprocess.run(
            ["etcdctl", f"--endpoints=unix://{sock}", "get", "--prefix", "--keys-only", "/calico/ipam/v2/host/"],
            capture_output=True, text=True, env={**os.environ, "ETCDCTL_API": "3"}, check=True,
        ).stdout.split()  # fmt: skip
        blocks = {k.split("/")[5]: k.rsplit("/", 1)[1].replace("-", "/") for k in keys}
        assert sorted(blocks) == [H1, H2], keys

        # cal1's kernel: its own block blackholed and the other's learned by BGP, both proto bird
        routes = {r["dst"]: r for r in bird_routes(H1)}
        assert routes[blocks[H1]].get("type") == "blackhole", routes
        assert routes[blocks[H2]]["gateway"] == "198.18.112.11", routes

        # a workload: /32 routed to the host end of its veth, which has calico's MAC and proxy ARP on
        pid = docker(H1, "inspect", "-f", "{{.State.Pid}}", f"{LAB}-client").stdout.strip()
        [inside] = json.loads(
            subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-json", "addr", "show", "eth0"],
                           capture_output=True, text=True, check=True).stdout
        )  # fmt: skip
        [addr] = [a for a in inside["addr_info"] if a["family"] == "inet"]
        assert addr["prefixlen"] == 32
        default = json.loads(
            subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-json", "route", "show", "default"],
                           capture_output=True, text=True, check=True).stdout
        )  # fmt: skip
        assert default[0]["gateway"] == "169.254.1.1"
        [host_route] = [r for r in json.loads(in_ns(H1, "ip", "-json", "route")) if r["dst"] == addr["local"]]
        cali = host_route["dev"]
        assert cali.startswith("cali")
        [link] = json.loads(in_ns(H1, "ip", "-json", "link", "show", "dev", cali))
        assert link["address"] == "ee:ee:ee:ee:ee:ee"
        assert in_ns(H1, "sysctl", "-n", f"net.ipv4.conf.{cali}.proxy_arp").strip() == "1"

        # the policy, as Felix's chains on cal2: the client's address to port 80, then drop
        rules = in_ns(H2, "iptables", "-S").splitlines()
        tw = [r for r in rules if r.startswith("-A cali-tw-")]
        assert any(
            f"-s {addr['local']}/32" in r and "--dports 80" in r and r.endswith("-j ACCEPT") for r in tw
        ), tw
        assert tw[-1].endswith("-j DROP"), tw

        # the CNM made visible (X2, X14): no bridge, /32 routes and the BGP route; underlay
        [view] = json.loads(cli("net", "cnm", f"{LAB}-c1", "--json").stdout)["hosts"]
        assert view["model"] == "underlay" and view["driver"] == "dockerctl-calico", view
        assert f"route {blocks[H2]} via 198.18.112.11 dev eth0 proto bird" in view["network"], view
        [ep] = [e for e in view["endpoints"] if e["container"] == f"{LAB}-client"]
        assert ep["host_end"].startswith(cali) and ep["addresses"] == [f"{addr['local']}/32"], ep

        # net path (on cal1's engine): the /32 to the veth and the route BIRD learned
        path = cli("-H", f"unix:///run/dctl-{H1}.sock", "net", "path", f"{LAB}-client", "--json")
        notes = json.loads(path.stdout)["notes"]
        assert any(f"{blocks[H2]} via 198.18.112.11 dev eth0 proto bird" in n for n in notes), notes
        assert any(f"routes {addr['local']} to {cali}" in n for n in notes), notes

        # BGP: cal2's BIRD killed → its block leaves cal1; `hosts up` brings BIRD and the route back
        bird_pid = int((STATE / "calico" / LAB / H2 / "bird.pid").read_text())
        os.kill(bird_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(r["dst"] == blocks[H2] for r in bird_routes(H1)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(r["dst"] == blocks[H2] for r in bird_routes(H1)), "the route outlived the BGP session"
        assert cli("hosts", "up", str(PLAYBOOK)).returncode == 0
        assert any(r["dst"] == blocks[H2] for r in bird_routes(H1))
        ping = docker(H1, "exec", f"{LAB}-other", "ping", "-c", "1", "-W", "2",
                      docker(H2, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                             f"{LAB}-peer").stdout.strip())  # fmt: skip
        assert ping.returncode == 0 and "ttl=62" in ping.stdout, ping.stdout
        # doctor reads the model back from cal1's kernel, read-only (as on a real calico-node host)
        [model] = doctor_models(H1)
        assert (model["model"], model["verdict"], model["kind"]) == ("calico", "consistent", "underlay"), (
            model
        )

        # cal1's engine crashes under the running network: restarted, it replays its calls to the plugin
        restart_engine_and_replay(
            playbook=PLAYBOOK,
            driver="dockerctl-calico",
            host=H1,
            container=f"{LAB}-other",
            peer=f"{LAB}-peer",
            peer_host=H2,
        )
    finally:
        down = cli("down", "--lab", LAB, "--volumes")
        assert down.returncode == 0, down.stderr
    assert machine_state() == before  # no BIRD, etcd, plugin, namespace or state left
    assert not (STATE / "calico" / LAB).exists()


def test_bad_policy_input_changes_nothing(base_image: str, tmp_path: Path) -> None:
    before = machine_state()
    path = tmp_path / "policy.yaml"
    path.write_text(PLAYBOOK.read_text().replace("from: {role: client}", "from: {role: admin}"))
    done = cli("play", str(path))
    assert done.returncode == 2 and "no container of this playbook has label role=admin" in done.stderr
    assert f"{path}:" in done.stderr
    assert machine_state() == before
