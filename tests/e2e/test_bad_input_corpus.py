"""The bad-input corpus: over a hundred wrong inputs across every command and the playbook format. Each
must exit non-zero with one clear sentence — no traceback — that names the flag, argument or FILE:LINE
and says what would be right, and must leave the engine and the host as they were (compared before and
after the whole corpus)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import pytest

B = "dockerctl/base"
LIMITS_PB = str(Path(__file__).parents[2] / "playbooks" / "limits.yaml")
H = "version: 1\nname: corpus\n"
# words that say what would be right (a form, a range, an example, an alternative, a next step)
GUIDANCE = re.compile(
    r"\b(use|give|e\.g\.|expected|must|one of|choose|pass|such as|at most|at least|allowed|only|add|run|start|"
    r"instead|should|define|between|needs?|is not|does not exist|refused|not defined|outside|overlaps|lists|name|"
    r"put|quote|limits are)\b",
    re.IGNORECASE,
)

# (id, argv — or a playbook text for `playbook validate`/`play`, exit code, what the error must name)
CLI: list[tuple[str, list[str], int, str]] = [
    ("mem-suffix", ["run", "-m", "100X", B], 2, "-m/--memory"),
    ("mem-negative", ["run", "-m", "-2", B], 2, "-m/--memory"),
    ("mem-below-min", ["run", "-m", "1k", B], 2, "-m/--memory"),
    ("swap-below-mem", ["run", "-m", "100M", "--memory-swap", "10M", B], 2, "--memory-swap"),
    ("swap-bad", ["run", "-m", "100M", "--memory-swap", "lots", B], 2, "--memory-swap"),
    ("shares-low", ["run", "-c", "1", B], 2, "--cpu-shares"),
    ("shares-high", ["run", "-c", "300000", B], 2, "--cpu-shares"),
    ("cpus-zero", ["run", "--cpus", "0", B], 2, "--cpus"),
    ("cpus-many", ["run", "--cpus", "99", B], 2, "--cpus"),
    ("cpus-text", ["run", "--cpus", "many", B], 2, "--cpus"),
    ("cpuset-missing", ["run", "--cpuset-cpus", "0,99", B], 2, "--cpuset-cpus"),
    ("cpuset-syntax", ["run", "--cpuset-cpus", "0-", B], 2, "--cpuset-cpus"),
    ("pids-text", ["run", "--pids-limit", "abc", B], 2, "--pids-limit"),
    ("weight-low", ["run", "--blkio-weight", "5", B], 2, "--blkio-weight"),
    ("weight-high", ["run", "--blkio-weight", "2000", B], 2, "--blkio-weight"),
    ("dev-missing", ["run", "--device-write-bps", "/dev/nonexistent:10mb", B], 2, "--device-write-bps"),
    ("dev-no-rate", ["run", "--device-write-bps", "/dev/vda", B], 2, "--device-write-bps"),
    ("dev-not-block", ["run", "--device-read-iops", "/dev/null:10", B], 2, "--device-read-iops"),
    ("dev-neg-rate", ["run", "--device-write-bps", "/dev/vda:-5mb", B], 2, "--device-write-bps"),
    ("dev-relative", ["run", "--device-read-bps", "vda:5mb", B], 2, "--device-read-bps"),
    ("iops-text", ["run", "--device-write-iops", "/dev/vda:fast", B], 2, "--device-write-iops"),
    ("vol-relative", ["run", "-v", "data:rel", B], 2, "-v/--volume"),
    ("vol-root", ["run", "-v", "/:/", B], 2, "-v/--volume"),
    ("vol-mode", ["run", "-v", "data:/d:rx", B], 2, "-v/--volume"),
    ("vol-twice", ["run", "-v", "a1:/d", "-v", "a2:/d", B], 2, "-v/--volume"),
    ("mount-tmpfs", ["run", "--mount", "type=tmpfs,target=/x", B], 2, "--mount"),
    ("mount-missing-src", ["run", "--mount", "type=bind,source=/nonexistent,target=/x", B], 2, "--mount"),
    ("mount-no-target", ["run", "--mount", "type=volume,source=v1", B], 2, "--mount"),
    ("engine-socket", ["run", "-v", "/var/run/docker.sock:/s", B], 2, "-v/--volume"),
    ("volumes-from", ["run", "--volumes-from", "nosuch-corpus", B], 4, "--volumes-from"),
    ("network-missing", ["run", "--network", "nosuch-corpus", B], 4, "--network"),
    ("join-missing", ["run", "--network", "container:nosuch-corpus", B], 4, "--network"),
    ("ip-no-subnet", ["run", "--ip", "10.0.0.5", B], 2, "--ip"),
    ("ip-bad", ["run", "--ip", "10.0.0.500", "--network", "bridge", B], 2, "--ip"),
    ("port-range", ["run", "-p", "99999", B], 2, "-p/--publish"),
    ("port-text", ["run", "-p", "abc", B], 2, "-p/--publish"),
    ("port-proto", ["run", "-p", "80/sctp", B], 2, "-p/--publish"),
    ("port-host-net", ["run", "-p", "80", "--network", "host", B], 2, "-p/--publish"),
    ("hostname-host-net", ["run", "-h", "web", "--network", "host", B], 2, "--hostname"),
    ("name-bad", ["run", "--name", "bad name!", B], 2, "--name"),
    ("lab-empty", ["run", "--lab", "", B], 2, "--lab"),
    ("image-absent", ["run", "dockerctl/not-built:corpus"], 4, "IMAGE"),
    ("update-none", ["update", "nosuch-corpus"], 2, "-m 200M"),
    (
        "update-throttle",
        ["update", "nosuch-corpus", "--device-write-bps", "/dev/vda:1mb"],
        2,
        "--device-write-bps",
    ),
    ("update-missing", ["update", "nosuch-corpus", "--cpus", "1"], 4, "CONTAINER"),
    ("audit-rule", ["audit", "--fail-on", "oom-kill"], 2, "--fail-on"),
    ("audit-rule-empty", ["audit", "--fail-on", ","], 2, "--fail-on"),
    ("audit-host", ["audit", "--lab-host", "nosuch-corpus"], 2, "--lab-host"),
    ("cleanup-host-alone", ["cleanup", "--lab-host", "nosuch-corpus"], 2, "--lab-host"),
    ("cleanup-orphans-host", ["cleanup", "--orphans", "--lab-host", "nosuch-corpus"], 2, "--lab-host"),
    ("exporter-remote", ["exporter", "--listen", "0.0.0.0:9417"], 2, "--listen"),
    ("exporter-listen-text", ["exporter", "--listen", "nowhere"], 2, "--listen"),
    ("exporter-port", ["exporter", "--listen", "127.0.0.1:99999"], 2, "--listen"),
    ("top-interval", ["top", "--once", "--interval", "0"], 2, "--interval"),
    ("top-json-live", ["top", "--json"], 2, "--format/--json"),
    ("top-format-json-live", ["top", "--format", "json"], 2, "--format/--json"),
    ("format-contradiction", ["ns", "nosuch-corpus", "--format", "table", "--json"], 2, "--json"),
    (
        "down-keep-and-remove-volumes",
        ["down", "--lab", "nosuch-corpus", "--keep-volumes", "--volumes"],
        2,
        "--volumes",
    ),
    ("top-missing", ["top", "--once", "nosuch-corpus"], 4, "CONTAINER"),
    ("update-mem", ["update", "nosuch-corpus", "-m", "1k"], 2, "-m/--memory"),
    ("limits-missing", ["limits", "nosuch-corpus"], 4, "CONTAINER"),
    ("prove-kind", ["prove", "nosuchkind"], 2, "kind"),
    ("prove-shares", ["prove", "cpu", "--shares", "1024"], 2, "--shares"),
    ("prove-shares-text", ["prove", "cpu", "--shares", "a:b"], 2, "--shares"),
    ("prove-mem", ["prove", "memory", "-m", "1k"], 2, "-m/--memory"),
    ("prove-io-dev", ["prove", "io", "--device-write-bps", "/dev/null:1mb"], 2, "--device-write-bps"),
    ("prove-missing", ["prove", "memory", "nosuch-corpus"], 4, "CONTAINER"),
    ("mounts-missing", ["mounts", "nosuch-corpus"], 4, "CONTAINER"),
    ("ns-missing", ["ns", "nosuch-corpus"], 4, "CONTAINER"),
    ("rm-missing", ["rm", "nosuch-corpus"], 4, "CONTAINER"),
    ("vol-name", ["vol", "create", "bad/name"], 2, "NAME"),
    ("vol-opt", ["vol", "create", "corpus-v", "--opt", "novalue"], 2, "--opt"),
    ("vol-rm-missing", ["vol", "rm", "nosuch-corpus"], 4, "NAME"),
    ("vol-inspect-missing", ["vol", "inspect", "nosuch-corpus"], 4, "NAME"),
    ("vc-no-mounts", ["volume-container", "create", "corpus-vc"], 2, "-v"),
    (
        "vc-from-dir",
        ["volume-container", "create", "corpus-vc", "--from-dir", "/nonexistent"],
        2,
        "--from-dir",
    ),
    ("net-subnet", ["net", "create", "corpus-n", "--subnet", "10.0.0.0/33"], 2, "--subnet"),
    (
        "net-gateway",
        ["net", "create", "corpus-n", "--subnet", "10.77.0.0/24", "--gateway", "10.1.0.1"],
        2,
        "--gateway",
    ),
    ("net-iprange", ["net", "create", "corpus-n", "--ip-range", "10.0.0.0/24"], 2, "--ip-range"),
    ("net-macvlan", ["net", "create", "corpus-n", "-d", "macvlan"], 2, "-o/--opt"),
    (
        "net-parent",
        ["net", "create", "corpus-n", "-d", "macvlan", "-o", "parent=nosuch0", "--subnet", "10.77.0.0/24"],
        2,
        "-o/--opt",
    ),
    ("net-overlay", ["net", "create", "corpus-n", "-d", "overlay"], 2, "--driver"),
    ("net-driver", ["net", "create", "corpus-n", "-d", "weird"], 2, "--driver"),
    ("net-opt", ["net", "create", "corpus-n", "-o", "badopt"], 2, "--opt"),
    ("net-rm-missing", ["net", "rm", "nosuch-corpus"], 4, "NETWORK"),
    ("net-connect-missing", ["net", "connect", "nosuch-corpus", "x1"], 4, "NETWORK"),
    ("net-check-by", ["net", "check", "a1", "b1", "--by", "foo"], 2, "--by"),
    ("net-check-expect", ["net", "check", "a1", "b1", "--expect", "foo"], 2, "--expect"),
    ("net-path-missing", ["net", "path", "nosuch-corpus"], 4, "CONTAINER"),
    ("net-prove", ["net", "prove", "foo"], 2, "WHICH"),
    ("cp-no-container", ["cp", "/tmp/a", "/tmp/b"], 2, "SRC/DST"),
    ("cp-missing", ["cp", "nosuch-corpus:/x", "/tmp/corpus-out"], 4, "CONTAINER"),
    ("play-missing", ["play", "/nonexistent/corpus.yaml"], 2, "FILE"),
    ("play-html-suffix", ["play", LIMITS_PB, "--html", "report.pdf"], 2, "--html"),
    ("play-html-nodir", ["play", LIMITS_PB, "--html", "/nonexistent/r.html"], 2, "--html"),
    ("graph-missing", ["graph", "/nonexistent/corpus.yaml"], 2, "FILE"),
    ("graph-out-suffix", ["graph", LIMITS_PB, "--out", "lab.png"], 2, "--out"),
    ("graph-out-nodir", ["graph", LIMITS_PB, "--out", "/nonexistent/lab.svg"], 2, "--out"),
    ("tour-empty", ["tour", "/nonexistent"], 2, "DIRECTORY"),
    ("down-neither", ["down"], 2, "FILE/--lab"),
    ("down-both", ["down", "x.yaml", "--lab", "y"], 2, "FILE/--lab"),
    ("down-empty-lab", ["down", "--lab", ""], 2, "--lab"),
    ("down-odd-lab", ["down", "--lab", "../etc"], 2, "--lab"),
    ("cleanup-empty-lab", ["cleanup", "--lab", ""], 2, "--lab"),
    ("hosts-down-neither", ["hosts", "down"], 2, "FILE/--lab"),
    ("hosts-ls-lab", ["hosts", "ls", "--lab", ""], 2, "--lab"),
    ("doctor-host", ["doctor", "--lab-host", "nosuch-corpus"], 2, "--lab-host"),
    ("url-scheme", ["-H", "bogus://x", "limits", "c1"], 2, "-H/--host"),
    ("url-port", ["-H", "ssh://root@h:notaport", "limits", "c1"], 2, "-H/--host"),
    ("swarm-addr", ["swarm", "init", "--advertise-addr", "not-an-ip"], 2, "--advertise-addr"),
]

PLAYBOOKS: list[tuple[str, str, int, int, str]] = [  # id, text, exit, line, key
    ("pb-yaml", "a: [b", 2, 1, "not valid YAML"),
    ("pb-version", "version: 2\nname: corpus\n", 2, 1, "version"),
    ("pb-name", "version: 1\nname: Bad\n", 2, 2, "name"),
    ("pb-unknown-top", H + "bogus: 1\n", 2, 3, "allowed here"),
    ("pb-unknown-container-key", H + "containers:\n  a: {colour: red}\n", 2, 4, "allowed here"),
    ("pb-memory", H + "containers:\n  a: {memory: 1X}\n", 2, 4, "containers.a.memory"),
    ("pb-swap", H + "containers:\n  a: {memory: 64M, memory_swap: 1M}\n", 2, 4, "containers.a"),
    ("pb-shares", H + "containers:\n  a: {cpu_shares: 1}\n", 2, 4, "containers.a.cpu_shares"),
    ("pb-device", H + "containers:\n  a: {device_write_bps: vda}\n", 2, 4, "containers.a.device_write_bps"),
    ("pb-list-section", H + "networks:\n  - n\n", 2, 3, "must be a mapping"),
    ("pb-list-containers", H + "containers:\n  - name: x\n", 2, 3, "must be a mapping"),
    ("pb-unknown-network", H + "containers:\n  a: {networks: [nope]}\n", 2, 4, "not defined under networks"),
    (
        "pb-unknown-volume",
        H + 'containers:\n  a: {volumes: ["nope:/d"]}\n',
        2,
        4,
        "not defined under volumes",
    ),
    ("pb-volume-form", H + 'containers:\n  a: {volumes: ["rel"]}\n', 2, 4, "containers.a.volumes"),
    ("pb-join-self", H + 'containers:\n  a: {network_mode: "container:a"}\n', 2, 4, "its own network"),
    ("pb-join-unknown", H + 'containers:\n  a: {network_mode: "container:zz"}\n', 2, 4, "not defined"),
    ("pb-network-mode", H + "containers:\n  a: {network_mode: weird}\n", 2, 4, "network_mode"),
    (
        "pb-mode-and-networks",
        H + "networks: {n: {}}\ncontainers:\n  a: {network_mode: host, networks: [n]}\n",
        2,
        5,
        "not both",
    ),
    ("pb-volumes-from", H + "containers:\n  a: {volumes_from: [zz]}\n", 2, 4, "volumes_from"),
    ("pb-cycle", H + "containers:\n  a: {volumes_from: [b]}\n  b: {volumes_from: [a]}\n", 2, 3, "cycle"),
    ("pb-overlay", H + "networks:\n  o: {driver: overlay}\n", 2, 4, "swarm: true"),
    ("pb-macvlan", H + "networks:\n  m: {driver: macvlan, subnet: 198.18.60.0/24}\n", 2, 4, "options.parent"),
    (
        "pb-macvlan-twice",
        H
        + "networks:\n  m: {driver: macvlan, subnet: 198.18.60.0/24, options: {parent: x0}}\n  n: {driver: macvlan, subnet: 198.18.61.0/24, options: {parent: x0}}\n",
        2,
        5,
        "one macvlan network per interface",
    ),
    (
        "pb-driver",
        H + "networks:\n  n: {driver: weird}\n",
        2,
        4,
        "Input should be 'bridge', 'macvlan', 'overlay'",
    ),
    (
        "pb-expect-container",
        H + "expect:\n  - {claim: R1, limits: {container: zz, memory: 1M}}\n",
        2,
        4,
        "not defined",
    ),
    (
        "pb-claim",
        H + "containers:\n  a: {}\nexpect:\n  - {claim: Z9, limits: {container: a, memory: 10M}}\n",
        2,
        6,
        "seed claim id",
    ),
    (
        "pb-two-kinds",
        H
        + "containers:\n  a: {}\nexpect:\n  - {claim: R1, limits: {container: a, memory: 10M}, oom: {container: a, allocate: 1M}}\n",
        2,
        6,
        "exactly one of",
    ),
    (
        "pb-expect-limit",
        H + "containers:\n  a: {}\nexpect:\n  - {claim: R1, limits: {container: a, colour: 1}}\n",
        2,
        6,
        "unknown limit",
    ),
    (
        "pb-expect-key",
        H + "containers:\n  a: {}\nexpect:\n  - {claim: C2, dns: {from: a, name: a, colour: 1}}\n",
        2,
        6,
        "allowed here",
    ),
    (
        "pb-traffic-target",
        H + "containers:\n  a: {}\nexpect:\n  - {claim: C1, reachable: {from: a}}\n",
        2,
        6,
        "to: (a container) or address",
    ),
    ("pb-image", H + "containers:\n  a: {image: nothing}\n", 2, 4, "neither under images"),
    (
        "pb-survives-volume",
        H + "containers:\n  a: {}\nexpect:\n  - {claim: S3, survives: {volume: zz}}\n",
        2,
        6,
        "volume 'zz'",
    ),
    ("pb-host-link", H + "host_links:\n  BAD: {peer: x1}\n", 2, 4, "host link name"),
    (
        "pb-host-unknown",
        H + "hosts: {h1: {kind: simulated}}\ncontainers:\n  a: {host: nowhere}\n",
        2,
        5,
        "not one of this playbook's hosts",
    ),
    ("pb-host-without-hosts", H + "containers:\n  a: {host: h9}\n", 2, 4, "add a hosts: section"),
    ("pb-host-name", H + "hosts:\n  Bad_Name: {kind: simulated}\n", 2, 4, "host name"),
    ("pb-container-name", H + 'containers:\n  "a;$(id)": {}\n', 2, 4, "container name 'a;$(id)' is refused"),
    ("pb-network-newline", H + 'networks:\n  "n\\n-j ACCEPT": {}\n', 2, 4, "networks: network name"),
    ("pb-host-kind", H + "hosts:\n  h1: {kind: cloud}\n", 2, 4, "'local', 'simulated', 'remote' or 'vm'"),
    ("pb-remote-url", H + "hosts:\n  far: {kind: remote}\n", 2, 4, "needs url"),
    ("pb-two-locals", H + "hosts:\n  a1: {kind: local}\n  a2: {kind: local}\n", 2, 3, "at most one"),
    (
        "pb-switch-range",
        H + "hosts: {h1: {kind: simulated}}\nswitch: {subnet: 10.1.0.0/24}\n",
        2,
        4,
        "outside the lab range",
    ),
    (
        "pb-switch-small",
        H + "hosts: {h1: {kind: simulated}}\nswitch: {subnet: 198.18.100.0/30}\n",
        2,
        4,
        "too small",
    ),
    (
        "pb-switch-text",
        H + "hosts: {h1: {kind: simulated}}\nswitch: {subnet: nonsense}\n",
        2,
        4,
        "not a subnet",
    ),
    (
        "pb-host-address",
        H + "hosts:\n  h1: {kind: simulated, address: 198.18.101.5}\n",
        2,
        4,
        "not a host address of the switch",
    ),
    (
        "pb-host-address-dup",
        H
        + "hosts:\n  h1: {kind: simulated, address: 198.18.100.20}\n  h2: {kind: simulated, address: 198.18.100.20}\n",
        2,
        5,
        "also host h1",
    ),
    (
        "pb-cross-host-network",
        H
        + "hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\nnetworks:\n  n: {host: h1}\ncontainers:\n  a: {host: h2, networks: [n]}\n",
        2,
        7,
        "only overlay networks span hosts",
    ),
    (
        "pb-cross-host-volume",
        H
        + 'hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\nvolumes:\n  v: {host: h1}\ncontainers:\n  a: {host: h2, volumes: ["v:/d"]}\n',
        2,
        7,
        "volume 'v' is on host h1",
    ),
    (
        "pb-sim-parent",
        H
        + "hosts: {h1: {kind: simulated}}\nnetworks:\n  m: {driver: macvlan, subnet: 198.18.100.0/24, options: {parent: eth9}}\n",
        2,
        5,
        "the port on the lab switch is eth0",
    ),
    ("pb-service-no-swarm", H + "services:\n  web: {}\n", 2, 4, "swarm: true"),
    (
        "pb-service-network",
        H + "swarm: true\nnetworks: {n: {}}\nservices:\n  web: {networks: [n]}\n",
        2,
        6,
        "not an overlay network",
    ),
    (
        "pb-service-memory",
        H + "swarm: true\nservices:\n  web: {limit_memory: lots}\n",
        2,
        5,
        "services.web.limit_memory",
    ),
    ("pb-service-replicas", H + "swarm: true\nservices:\n  web: {replicas: -1}\n", 2, 5, "replicas"),
    (
        "pb-expect-network",
        H
        + "swarm: true\ncontainers:\n  a: {}\nexpect:\n  - {claim: X5, vxlan: {network: zz, from: a, to: a}}\n",
        2,
        7,
        "not an overlay network",
    ),
    (
        "pb-expect-host",
        H
        + "hosts: {h1: {kind: simulated}}\nswarm: true\nservices:\n  web: {}\nexpect:\n  - {claim: R1, service_limits: {service: web, memory: 1M, hosts: [h9]}}\n",
        2,
        8,
        "not one of this playbook's hosts",
    ),
    (
        "pb-yaml-on",
        H
        + "swarm: true\nservices:\n  web: {}\nexpect:\n  - {claim: R1, service_limits: {service: web, on: [h1]}}\n",
        2,
        7,
        "quote it, 'on'",
    ),
]


def _state(engine: docker.DockerClient) -> dict[str, object]:
    def sh(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    return {
        "containers": sorted(c.id for c in engine.containers.list(all=True, sparse=True)),
        "networks": sorted(n.id for n in engine.networks.list()),
        "volumes": sorted(v.name for v in engine.volumes.list()),
        "images": sorted(i.id for i in engine.images.list()),
        "netns": sorted(sh("ip", "netns", "list").split()),
        "links": sorted(link["ifname"] for link in json.loads(sh("ip", "-json", "link"))),
    }


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"}, check=False,
    )  # fmt: skip


def _judge(case: str, done: subprocess.CompletedProcess[str], code: int, names: str) -> list[str]:
    err = done.stderr.strip()
    problems = []
    if done.returncode != code:
        problems.append(f"exit {done.returncode}, expected {code}")
    if "Traceback" in err or ("Error" in err.split(":")[0] and "Usage:" not in err):
        problems.append("a traceback")
    if names not in err:
        problems.append(f"does not name {names!r}")
    if not GUIDANCE.search(err):
        problems.append("does not say what would be right")
    return [f"{case}: {p} — {err[:300]!r}" for p in problems]


def test_the_corpus_has_over_a_hundred_cases() -> None:
    assert len(CLI) + 2 * len(PLAYBOOKS) >= 100


def test_every_bad_input_is_one_clear_error_and_changes_nothing(
    engine: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    runs: list[tuple[str, list[str], int, str]] = list(CLI)
    for case, text, code, line, key in PLAYBOOKS:
        path = tmp_path / f"{case}.yaml"
        path.write_text(text)
        # play validates first: the error names FILE:LINE and the key, and the engine is not touched
        runs.append((f"{case} (play)", ["play", str(path)], code, f"{path}:{line}:"))
        runs.append((f"{case} (key)", ["play", str(path)], code, key))
    before = _state(engine)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = dict(
            zip(
                map(tuple, {tuple(r[1]) for r in runs}),
                pool.map(_run, [list(a) for a in {tuple(r[1]) for r in runs}]),
                strict=True,
            )
        )
    results = [(r, outputs[tuple(r[1])]) for r in runs]
    problems = [p for (case, _, code, names), done in results for p in _judge(case, done, code, names)]
    assert not problems, "\n".join(problems)
    assert _state(engine) == before


@pytest.mark.parametrize("args", [["run", "-m", "100X", B], ["play", "/nonexistent.yaml"]])
def test_errors_are_one_line(args: list[str]) -> None:
    done = _run(args)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# compose verify: (id, compose file text, exit code, line the error must name (0: the file alone), readers).
# Each case runs with Docker Compose v2 as the reader and with dockerctl's own (--own-reader) unless
# `readers` says one: the own reader leaves some checks to compose and finds the project not running.
S = f"services:\n  web:\n    image: {B}\n"
COMPOSE: list[tuple[str, str, int, int, str]] = [
    ("yaml-tab", "services:\n  web:\n\timage: x\n", 2, 3, "both"),
    ("yaml-indent", "services:\n  web:\n    image: x\n   mem_limit: 3m\n", 2, 4, "both"),
    ("yaml-duplicate", S + "    mem_limit: 1m\n    mem_limit: 2m\n", 2, 5, "both"),
    ("unknown-key", S + "    memory_limit: 3m\n", 2, 4, "both"),
    ("unknown-top-key", "servics:\n  web:\n    image: x\n", 2, 1, "both"),
    ("service-name", 'services:\n  "we b":\n    image: x\n', 2, 2, "both"),
    ("services-list", "services:\n  - web\n", 2, 0, "both"),
    ("service-not-mapping", "services:\n  web: 3\n", 2, 2, "both"),
    ("no-services", "name: corpus-empty\n", 2, 0, "both"),
    ("empty-file", "", 2, 0, "both"),
    ("mem-text", S + "    mem_limit: lots\n", 2, 4, "both"),
    ("mem-negative", S + "    mem_limit: -5m\n", 2, 4, "both"),
    ("memswap-text", S + "    memswap_limit: huge\n", 2, 4, "both"),
    ("shm-text", S + "    shm_size: big\n", 2, 4, "both"),
    ("cpus-text", S + "    cpus: many\n", 2, 4, "both"),
    ("shares-text", S + "    cpu_shares: lots\n", 2, 4, "both"),
    ("pids-text", S + "    pids_limit: abc\n", 2, 4, "both"),
    ("scale-text", S + "    scale: many\n", 2, 4, "both"),
    ("replicas-text", S + "    deploy: {replicas: abc}\n", 2, 4, "both"),
    (
        "reservation-text",
        S + "    deploy:\n      resources:\n        reservations: {memory: lots}\n",
        2,
        6,
        "both",
    ),
    (
        "rate-text",
        S + "    blkio_config:\n      device_read_bps: [{path: /dev/vda, rate: fast}]\n",
        2,
        5,
        "both",
    ),
    ("ulimit-text", S + "    ulimits:\n      nofile: {soft: a, hard: 2}\n", 2, 5, "both"),
    ("ulimits-number", S + "    ulimits: 5\n", 2, 4, "both"),
    ("oom-kill-maybe", S + "    oom_kill_disable: maybe\n", 2, 4, "both"),
    ("networks-text", S + "    networks: front\n", 2, 4, "both"),
    ("volume-number", S + "    volumes: [5]\n", 2, 4, "both"),
    ("port-text", S + '    ports: ["abc"]\n', 2, 0, "both"),
    ("undefined-network", S + "    networks: [nosuch]\n", 2, 4, "both"),
    ("undefined-volume", S + '    volumes: ["nosuch:/x"]\n', 2, 4, "both"),
    ("undefined-dependency", S + "    depends_on: [nosuch]\n", 2, 4, "both"),
    ("no-image", "services:\n  web:\n    mem_limit: 1m\n", 2, 2, "both"),
    (
        "distinct-limits",
        S + "    mem_limit: 64m\n    deploy:\n      resources:\n        limits: {memory: 32m}\n",
        2,
        4,
        "both",
    ),
    ("required-variable", S + "    mem_limit: ${NEEDED_CORPUS:?must be set}\n", 2, 0, "both"),
    ("extends-missing", S + "    extends: {service: nosuch}\n", 2, 4, "both"),
    ("include-missing", "include: [nosuch-corpus.yml]\n" + S, 2, 0, "both"),
    ("oom-adj-text-type", S + "    oom_score_adj: 5000\n", 2, 4, "v2"),
    ("not-running", "name: corpus-absent\n" + S, 4, 0, "both"),
]


def _compose_run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", "compose", "verify", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env={**os.environ, "COLUMNS": "400", **(env or {})},
        check=False,
    )  # fmt: skip


def test_compose_verify_bad_input_is_one_clear_error_and_changes_nothing(
    engine: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    runs: list[tuple[str, list[str], int, str, dict[str, str] | None]] = []
    for case, text, code, line, readers in COMPOSE:
        d = tmp_path / case
        d.mkdir()
        f = d / "compose.yaml"
        f.write_text(text)
        names = f"{f}:{line}:" if line else str(f)
        for reader in ("v2", "own") if readers == "both" else (readers,):
            runs.append(
                (
                    f"{case} ({reader})",
                    ["-f", str(f), *(["--own-reader"] if reader == "own" else [])],
                    code,
                    names,
                    None,
                )
            )
    ok = tmp_path / "ok" / "compose.yaml"
    ok.parent.mkdir()
    ok.write_text(S)
    runs += [
        ("file-missing", ["-f", "/nonexistent/compose.yaml"], 2, "-f/--file", None),
        ("file-directory", ["-f", str(tmp_path)], 2, "-f/--file", None),
        ("second-file-missing", ["-f", str(ok), "-f", str(tmp_path / "nosuch.yaml")], 2, "-f/--file", None),
        ("no-file-here", [], 2, "-f/--file", None),
        ("project-unknown", ["-p", "nosuch-corpus"], 4, "-p/--project-name", None),
        ("project-name-bad", ["-f", str(ok), "-p", "Bad Name!"], 2, "-p/--project-name", None),
        (
            "project-name-bad (own)",
            ["-f", str(ok), "-p", "Bad Name!", "--own-reader"],
            2,
            "-p/--project-name",
            None,
        ),
        ("compose-not-v2", ["-f", str(ok)], 2, "DOCKERCTL_COMPOSE", {"DOCKERCTL_COMPOSE": "/bin/true"}),
        (
            "compose-absent",
            ["-f", str(ok)],
            2,
            "DOCKERCTL_COMPOSE",
            {"DOCKERCTL_COMPOSE": "/nonexistent/compose"},
        ),
    ]
    before = _state(engine)
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda r: _compose_run(r[1], empty, r[4]), runs))
    problems = [
        p
        for (case, _, code, names, _), d in zip(runs, done, strict=True)
        for p in _judge(case, d, code, names)
    ]
    problems += [
        f"{r[0]}: more than one line"
        for r, d in zip(runs, done, strict=True)
        if len(d.stderr.strip().splitlines()) != 1
    ]
    assert not problems, "\n".join(problems)
    assert len({r[0].split(" (")[0] for r in runs}) >= 30
    assert _state(engine) == before
