"""`bench net` (seed X15, measured): brings up the labs the chosen paths need (playbooks written here,
played with dockerctl's own `play`), measures each path with Debian's iperf3 — copied with its libraries
into a locally built image, never pulled — both directions K times plus ping's round trip, labels each
path overlay or underlay from the kernel (X14, `net cnm`'s evidence), and removes every lab again, even
when a run fails or is interrupted. A lab that cannot be made marks its paths unavailable, with why."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import DockerctlError, NotFound
from dockerctl.fabric import labhosts
from dockerctl.hosts import LocalHost, NetnsHost, state
from dockerctl.hosts.paths import write_atomic
from dockerctl.jsonout import Jsonable
from dockerctl.netmodels.base import models
from dockerctl.observe.iperf import MeasureFailed, Throughput, parse_iperf3, parse_ping_avg_ms
from dockerctl.ops import cnm
from dockerctl.ops.down import down
from dockerctl.ops.play import play
from dockerctl.spec import netmodels as registry
from dockerctl.spec.bench import PATHS, BenchSpec
from dockerctl.spec.models import BASE_IMAGE
from dockerctl.verify.bench import PathResult, Verdict, x15_verdict

Progress = Callable[[str], None]
PORT = 5201

# Each lab: the playbook (containers a/b and friends run the iperf3 image) and where each path lies in it.
# Switch subnets 198.18.121–126.0/24: lab addresses only (never shared with the shipped playbooks').
LABS: dict[str, dict[str, Any]] = {
    "local": {
        "name": "bench-local",
        "host_links": {"dctlbn0": {"peer": "dctlbn1"}},
        "networks": {
            "mv": {"driver": "macvlan", "subnet": "198.18.121.0/24", "options": {"parent": "dctlbn0"}}
        },
        "containers": {
            "a": {"image": "iperf"},
            "b": {"image": "iperf"},
            "m1": {"image": "iperf", "networks": ["mv"], "ip": "198.18.121.11"},
            "m2": {"image": "iperf", "networks": ["mv"], "ip": "198.18.121.12"},
        },
    },
    "hosts": {
        "name": "bench-hosts",
        "hosts": {"bnh1": {"kind": "simulated"}, "bnh2": {"kind": "simulated"}},
        "switch": {"subnet": "198.18.122.0/24"},
        "swarm": True,
        "networks": {
            "ov": {"driver": "overlay", "attachable": True},
            "mv1": {
                "driver": "macvlan",
                "host": "bnh1",
                "subnet": "198.18.122.0/24",
                "gateway": "198.18.122.1",
                "ip_range": "198.18.122.128/26",
                "options": {"parent": "eth0"},
            },
            "mv2": {
                "driver": "macvlan",
                "host": "bnh2",
                "subnet": "198.18.122.0/24",
                "gateway": "198.18.122.1",
                "ip_range": "198.18.122.192/26",
                "options": {"parent": "eth0"},
            },
        },
        "containers": {
            "o1": {"image": "iperf", "host": "bnh1", "networks": ["ov"]},
            "o2": {"image": "iperf", "host": "bnh1", "networks": ["ov"]},
            "o3": {"image": "iperf", "host": "bnh2", "networks": ["ov"]},
            "m1": {"image": "iperf", "host": "bnh1", "networks": ["mv1"], "ip": "198.18.122.130"},
            "m2": {"image": "iperf", "host": "bnh2", "networks": ["mv2"], "ip": "198.18.122.200"},
        },
    },
}


def _two_host_lab(name: str, prefix: str, octet: int, section: dict[str, Any], driver: str) -> dict[str, Any]:
    h1, h2 = f"{prefix}1", f"{prefix}2"
    return {
        "name": name,
        "hosts": {h1: {"kind": "simulated"}, h2: {"kind": "simulated"}},
        "switch": {"subnet": f"198.18.{octet}.0/24"},
        **section,
        "networks": {"n1": {"driver": driver, "host": h1}, "n2": {"driver": driver, "host": h2}},
        "containers": {
            "a": {"image": "iperf", "host": h1, "networks": ["n1"]},
            "b": {"image": "iperf", "host": h2, "networks": ["n2"]},
        },
    }


MODEL_SECTIONS = registry.sections()
for _m in MODEL_SECTIONS:  # each network model's labs, from its section (netmodels/<m>/section.py)
    for _b in _m.bench:
        LABS[_b.path] = _two_host_lab(_b.lab, _b.prefix, _b.octet, {_m.key: _b.section}, _m.driver)


@dataclass(frozen=True)
class Leg:
    """Where one path runs: client and server container (same name: loopback), the network whose
    kernel objects say overlay or underlay; or, for host-host, the two simulated hosts themselves."""

    client_host: str
    client: str
    server_host: str
    server: str
    network: str = ""  # the playbook's network name ("" → the default bridge "bridge")
    hosts_only: bool = False


LEGS: dict[str, Leg] = {
    "loopback": Leg("", "a", "", "a"),
    "bridge": Leg("", "a", "", "b", network="bridge"),
    "macvlan": Leg("", "m1", "", "m2", network="mv"),
    "host-host": Leg("bnh1", "", "bnh2", "", hosts_only=True),
    "overlay": Leg("bnh1", "o1", "bnh1", "o2", network="ov"),
    "overlay-hosts": Leg("bnh1", "o1", "bnh2", "o3", network="ov"),
    "macvlan-hosts": Leg("bnh1", "m1", "bnh2", "m2", network="mv1"),
}
LEGS.update(
    {
        b.path: Leg(f"{b.prefix}1", "a", f"{b.prefix}2", "b", network="n1")
        for m in MODEL_SECTIONS
        for b in m.bench
    }
)

# what a lab needs on this machine besides the engine: named, so a missing one is said, not crashed on
NEEDS = {b.path: list(models()[m.driver].tools) for m in MODEL_SECTIONS for b in m.bench}


@dataclass
class BenchReport(Jsonable):
    JSON = "seconds repeat machine paths=results verdict"

    seconds: int
    repeat: int
    results: list[PathResult] = field(default_factory=list)
    verdict: Verdict | None = None
    machine: str = ""


# ---- the iperf3 image: Debian's binary and the libraries it loads, on the project's base image ----


def _libraries(binary: str) -> list[str]:
    done = LocalHost().run(["ldd", binary])
    libs = []
    for line in done.stdout.splitlines():
        parts = line.split()
        path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0] if parts else ""
        if path.startswith("/"):
            libs.append(path)
    return libs


def write_image_context(directory: Path) -> None:
    """Dockerfile + rootfs/ (iperf3 and its libraries at the paths the loader looks in)."""
    iperf3 = shutil.which("iperf3")
    if iperf3 is None:
        raise NotFound(
            "iperf3 is not installed on this machine", hint="scripts/setup installs Debian's iperf3"
        )
    rootfs = directory / "rootfs"
    for src in [iperf3, *_libraries(iperf3)]:
        dest = rootfs / src.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(src).resolve(), dest)  # the file itself, under the name the loader asks for
    write_atomic(
        directory / "Dockerfile",
        f'FROM {BASE_IMAGE}\nCOPY rootfs/ /\nRUN ["iperf3", "--version"]\nCMD ["sleep", "infinity"]\n',
    )


# ---- running the tools ----


def _exec(e: Engine, container: str, argv: list[str], *, timeout_note: str) -> tuple[int, str]:
    c = engine_call(e.client.containers.get, container, what=f"find container {container}")
    code, out = engine_call(c.exec_run, argv, demux=False, what=timeout_note)
    return int(code or 0), (out or b"").decode(errors="replace")


def _iperf_client(
    run: Callable[[list[str]], tuple[int, str]], address: str, seconds: int, reverse: bool
) -> Throughput:
    argv = ["iperf3", "-c", address, "-p", str(PORT), "-t", str(seconds), "-J", *(["-R"] if reverse else [])]
    last = ""
    for _ in range(20):  # the server may still be starting: refused is retried, anything else is not
        _, out = run(argv)
        try:
            return parse_iperf3(out)
        except MeasureFailed as exc:
            last = str(exc)
            if "refused" not in last and "busy" not in last:
                raise
        time.sleep(0.3)
    raise MeasureFailed(last)


def _lab_engines(lab: str, local: Engine) -> dict[str, Engine]:
    rec = labhosts.load(lab)
    hosts = rec.hosts.values() if rec is not None else []
    return {"": local} | {h.name: e for h, e in labhosts.walk(hosts, local, skip_silent=False)}


def _address(e: Engine, container: str) -> str:
    """The server's address on its one network (across hosts: its own host's network of the model)."""
    c = engine_call(e.client.containers.get, container, what=f"find container {container}")
    nets = (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    for info in nets.values():
        if info.get("IPAddress"):
            return str(info["IPAddress"])
    raise NotFound(f"container {container} has no IPv4 address")


def _kind(local: Engine, host: str, e: Engine, network: str) -> tuple[str, str]:
    net = engine_call(e.client.networks.get, network, what=f"find network {network}")
    view = cnm.view_of(host or local.name, e, net)
    return view.model, (view.carried_by or ["no encapsulation device carries its traffic"])[0]


def _measure_path(
    name: str, lab: str, spec: BenchSpec, engines: dict[str, Engine], say: Progress
) -> PathResult:
    d = PATHS[name]
    result = PathResult(name, d.what, d.across_hosts)
    leg = LEGS[name]
    if leg.hosts_only:
        return _measure_hosts(result, lab, leg, spec, say)
    ce, se = engines[leg.client_host], engines[leg.server_host]
    client, server = f"{lab}-{leg.client}", f"{lab}-{leg.server}"
    network = leg.network if leg.network in ("", "bridge") else f"{lab}-{leg.network}"
    if name == "loopback":
        address, result.kind, result.evidence = "127.0.0.1", "underlay", "lo: no network device is crossed"
    else:
        address = _address(se, server)
        result.kind, result.evidence = _kind(engines[""], leg.client_host, ce, network)
    _, mtu = _exec(ce, client, ["cat", f"/sys/class/net/{'lo' if name == 'loopback' else 'eth0'}/mtu"],
                   timeout_note=f"read the MTU in {client}")  # fmt: skip
    result.mtu = int(mtu.strip()) if mtu.strip().isdigit() else None
    _exec(se, server, ["iperf3", "-s", "-D", "-p", str(PORT)], timeout_note=f"start iperf3 in {server}")

    def run(argv: list[str]) -> tuple[int, str]:
        return _exec(ce, client, argv, timeout_note=f"iperf3 in {client}")

    for k in range(spec.repeat):
        say(f"{name}: run {k + 1}/{spec.repeat}")
        result.forward.append(_iperf_client(run, address, spec.seconds, False).bits_per_second)
        result.reverse.append(_iperf_client(run, address, spec.seconds, True).bits_per_second)
        _, out = run(["ping", "-c", "5", "-i", "0.2", "-q", "-W", "2", address])
        result.rtt_ms.append(parse_ping_avg_ms(out))
    return result


def _measure_hosts(result: PathResult, lab: str, leg: Leg, spec: BenchSpec, say: Progress) -> PathResult:
    """host-host: Debian's iperf3 run in the two simulated hosts' namespaces; each server is one-off
    (-1) and waited for, so no process outlives its run."""
    rec = labhosts.load(lab)
    if rec is None:
        raise NotFound(f"lab {lab} has no hosts recorded: bring it up first (dockerctl play)")
    address = rec.hosts[leg.server_host].address
    result.kind, result.evidence = "underlay", "eth0 on the lab switch: no encapsulation device"
    client, server_host = NetnsHost(leg.client_host), NetnsHost(leg.server_host)
    done = client.run(["cat", "/sys/class/net/eth0/mtu"])
    result.mtu = int(done.stdout.strip()) if done.stdout.strip().isdigit() else None

    def run(argv: list[str]) -> tuple[int, str]:
        server = server_host.start_daemon(["iperf3", "-s", "-1", "-B", address, "-p", str(PORT)], log=None)
        try:
            done = client.run(argv, timeout=spec.seconds + 30)
        finally:
            if not server.wait(10):  # a one-off server (-1) ends after its one client
                server.end(wait=1)  # ours: started just above, ended only as that very process
        return done.returncode if done.returncode is not None else 127, done.stdout

    for k in range(spec.repeat):
        say(f"{result.path}: run {k + 1}/{spec.repeat}")
        result.forward.append(_iperf_client(run, address, spec.seconds, False).bits_per_second)
        result.reverse.append(_iperf_client(run, address, spec.seconds, True).bits_per_second)
        done = client.run(["busybox", "ping", "-c", "5", "-i", "0.2", "-q", address], timeout=30)
        result.rtt_ms.append(parse_ping_avg_ms(done.stdout))
    return result


# ---- the labs ----


def _playbook(lab_key: str) -> dict[str, Any]:
    body = LABS[lab_key]
    return {"version": 1, **body, "images": {"iperf": {"build": "./iperf"}}}


@contextmanager
def _lab(engine: Engine, lab_key: str, workdir: Path, say: Progress) -> Iterator[str]:
    """The lab up (kept for measuring), and down again whatever happens. → its name."""
    pb = _playbook(lab_key)
    path = workdir / f"{pb['name']}.yaml"
    write_atomic(path, yaml.safe_dump(pb, sort_keys=False))
    say(f"lab {pb['name']}: up")
    try:
        report = play(engine, path, keep=True, progress=say)
        if not report.ok:
            raise DockerctlError(f"lab {pb['name']} did not come up: {report.error or 'a check failed'}")
        yield str(pb["name"])
    finally:
        say(f"lab {pb['name']}: down")
        down(engine, str(pb["name"]))


def bench_net(engine: Engine, spec: BenchSpec, progress: Progress | None = None) -> BenchReport:
    say = progress or (lambda _m: None)
    report = BenchReport(spec.seconds, spec.repeat, machine=_machine())
    results = {name: PathResult(name, PATHS[name].what, PATHS[name].across_hosts) for name in spec.paths}
    shutil.rmtree(state.folder(state.BENCH), ignore_errors=True)
    workdir = state.made(state.BENCH)
    try:
        write_image_context(workdir / "iperf")
        for lab_key in spec.labs:
            paths = [p for p in spec.paths if PATHS[p].lab == lab_key]
            missing = [tool for tool in NEEDS.get(lab_key, []) if shutil.which(tool) is None]
            if missing:
                for p in paths:
                    results[
                        p
                    ].unavailable = f"needs {', '.join(missing)} on this machine (scripts/setup installs it)"
                continue
            try:
                with _lab(engine, lab_key, workdir, say) as lab:
                    engines = _lab_engines(lab, engine)
                    try:
                        for p in paths:
                            try:
                                results[p] = _measure_path(p, lab, spec, engines, say)
                            except (MeasureFailed, DockerctlError) as exc:
                                results[p].unavailable = f"could not be measured: {exc}"
                    finally:
                        labhosts.close_engines(engines.values(), engine)
            except DockerctlError as exc:
                for p in paths:
                    if not results[p].measured:
                        results[p].unavailable = f"its lab could not be made here: {exc.message}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.results = [results[p] for p in spec.paths]
    report.verdict = x15_verdict(report.results)
    return report


def _machine() -> str:
    import os
    import platform

    return f"{platform.node()}: Linux {platform.release()}, {os.cpu_count()} CPU(s)"
