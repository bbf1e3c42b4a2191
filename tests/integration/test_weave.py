"""weave's model on the real machine (seed X1, X2, X12): the shipped playbook holds, and what it claims
is read again here without dockerctl — the bridges, vxlan ports and FDB with `ip` and `bridge` in each
host's namespace, names with the resolver itself (dig-free: nslookup inside a container). down leaves
nothing (no dnsmasq, plugin, device, namespace or state)."""

from __future__ import annotations

import json

from .netmodel_helpers import docker, doctor_models, in_ns, restart_engine_and_replay
from .test_labs_across_hosts import PLAYBOOKS, STATE, cli, machine_state

LAB, H1, H2 = "weave-mesh", "wv1", "wv2"
PLAYBOOK = PLAYBOOKS / "weave-mesh.yaml"


def test_weave_mesh_read_without_dockerctl(base_image: str) -> None:
    before = machine_state()
    try:
        up = cli("play", str(PLAYBOOK), "--keep", "--json", timeout=600)
        report = json.loads(up.stdout or "{}")
        bad = [c for c in report.get("checks", []) if c["verdict"] != "enforced"]
        assert up.returncode == 0 and len(report["checks"]) == 12 and not bad, (up.stderr, bad)

        # each host: bridge weave with the vxlan port vxw on it, flood entries to the other host
        for host, peer in ((H1, "198.18.113.11"), (H2, "198.18.113.10")):
            [vx] = json.loads(in_ns(host, "ip", "-d", "-json", "link", "show", "dev", "vxw"))
            assert vx["master"] == "weave" and vx["linkinfo"]["info_data"]["port"] == 6784
            fdb = json.loads(in_ns(host, "bridge", "-json", "fdb", "show", "dev", "vxw"))
            assert [f["dst"] for f in fdb if f["mac"] == "00:00:00:00:00:00"] == [peer]

        # one subnet: both containers in 10.32.0.0/12, each from its host's part
        ips = {}
        for host, name in ((H1, "a"), (H2, "b")):
            ips[name] = docker(host, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}/"
                               "{{.IPPrefixLen}}{{end}}", f"{LAB}-{name}").stdout.strip()  # fmt: skip
        assert ips["a"].startswith("10.32.") and ips["a"].endswith("/12"), ips
        assert ips["b"].startswith("10.40.") and ips["b"].endswith("/12"), ips

        # names: the resolver answers b.weave.local, and nothing outside weave.local (it forwards nothing)
        look = docker(H1, "exec", f"{LAB}-a", "nslookup", "b.weave.local")
        assert look.returncode == 0 and ips["b"].split("/")[0] in look.stdout, look.stdout
        outside = docker(H1, "exec", f"{LAB}-a", "nslookup", "example.org")
        assert outside.returncode != 0, outside.stdout

        # the CNM (X2, X14): one switch carried by the vxlan port — overlay
        [view] = json.loads(cli("net", "cnm", f"{LAB}-w1", "--json").stdout)["hosts"]
        assert view["driver"] == "dockerctl-weave" and view["model"] == "overlay", view
        assert view["evidence"][0].startswith("vxw: vxlan, VNI 42, UDP 6784"), view
        assert any(e["host_end"].startswith("vwe") and "on weave" in e["host_end"] for e in view["endpoints"])
        # doctor reads the model back from wv1's kernel, read-only (as on a real weave host)
        [model] = doctor_models(H1)
        assert (model["model"], model["verdict"], model["kind"]) == ("weave", "consistent", "overlay"), model

        # wv1's engine crashes under the running network: restarted, it replays its calls to the plugin,
        # and a's endpoint comes back on the same segment
        restart_engine_and_replay(
            playbook=PLAYBOOK,
            driver="dockerctl-weave",
            host=H1,
            container=f"{LAB}-a",
            peer=f"{LAB}-b",
            peer_host=H2,
        )
    finally:
        down = cli("down", "--lab", LAB, "--volumes")
        assert down.returncode == 0, down.stderr
    assert machine_state() == before
    assert not (STATE / "weave" / LAB).exists()
