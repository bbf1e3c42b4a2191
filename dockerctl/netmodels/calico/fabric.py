"""The calico model (seed X13), built from real parts — read from projectcalico/calico and
projectcalico/libnetwork-plugin (multi-host.md): pure L3, no encapsulation.

- IPAM: the pool is cut into blocks (`/26` by default); a host claims a block in the lab's etcd
  (`/calico/ipam/v2/host/<host>/ipv4/block/<ip>-<len>`, calico's affinity key) and hands out `/32`s.
- Each workload: a veth whose host end `cali<endpoint>` has MAC ee:ee:ee:ee:ee:ee and proxy ARP on, a
  route `<ip>/32 dev cali… scope link` on the host; inside, `169.254.1.1` is the gateway (answered by
  proxy ARP) — as calico's libnetwork plugin answers Join.
- Routing between hosts: a BIRD (Debian's bird2) per host in its namespace, a full iBGP mesh over the lab
  switch; each announces its block (a `blackhole` route for it, as calico does) and installs the others'
  blocks into the kernel `via <host> proto bird`.
- Policy: iptables chains as Felix names them — `cali-FORWARD` → `cali-to-wl-dispatch` → `cali-tw-<if>`:
  established traffic passes, then each allow rule (`-p tcp -m multiport --destination-ports N` from the
  selected sources' addresses), then drop ("no policy passed the packet").
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.errors import EngineError, EngineUnavailable, InvalidInput
from dockerctl.fabric import etcd
from dockerctl.fabric.model_records import LabRecords
from dockerctl.hosts import LocalHost, NetnsHost
from dockerctl.hosts.base import Host
from dockerctl.spec.names import check_lab_name, require_name

HOST_MAC = "ee:ee:ee:ee:ee:ee"
BLOCKS = "/calico/ipam/v2/host/"
_IFNAME = re.compile(r"[a-zA-Z0-9_.-]{1,15}")  # a Linux interface name, as the plugin makes them (cali…)


@dataclass(frozen=True)
class Rule:
    source: dict[str, str]  # labels of the workloads allowed in
    port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class Policy:
    name: str
    selector: dict[str, str]  # the workloads it applies to (ingress)
    allow: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class CalicoLab:
    lab: str
    hosts: dict[str, str]  # simulated host → its address on the lab switch (BGP peer, router id)
    pool: str = "10.7.0.0/16"
    block_len: int = 26
    asn: int = 64512
    policies: tuple[Policy, ...] = ()

    @property
    def dir(self) -> Path:
        return RECORDS.dir(self.lab)

    def host_dir(self, host: str) -> Path:
        return self.dir / host

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse(d: dict[str, Any]) -> CalicoLab:
    policies = tuple(
        Policy(p["name"], dict(p["selector"]), tuple(Rule(**r) for r in p["allow"])) for p in d["policies"]
    )
    return CalicoLab(d["lab"], dict(d["hosts"]), d["pool"], int(d["block_len"]), int(d["asn"]), policies)


RECORDS = LabRecords("calico", _parse)
save, load, forget = RECORDS.save, RECORDS.load, RECORDS.forget


# ---- IPAM: blocks with host affinity, in etcd ----


def block_key(host: str, block: str) -> str:
    net = ipaddress.ip_network(block)
    return f"{BLOCKS}{host}/ipv4/block/{net.network_address}-{net.prefixlen}"


def parse_block_key(key: str) -> tuple[str, str] | None:
    m = re.match(rf"^{re.escape(BLOCKS)}([^/]+)/ipv4/block/([0-9.]+)-(\d+)$", key)
    return (m.group(1), f"{m.group(2)}/{m.group(3)}") if m else None


def blocks_of(store: etcd.EtcdClient) -> dict[str, str]:
    """block → the host it is affine to."""
    out = {}
    for kv in store.get_prefix(BLOCKS):
        parsed = parse_block_key(kv.key)
        if parsed:
            out[parsed[1]] = parsed[0]
    return out


def claim_block(store: etcd.EtcdClient, cl: CalicoLab, host: str) -> str:
    """The host's block (its own again if it has one, else the first free one). → its CIDR."""
    for _ in range(10):
        taken = blocks_of(store)
        mine = sorted(b for b, h in taken.items() if h == host)
        if mine:
            return mine[0]
        pool = ipaddress.IPv4Network(cl.pool)
        free = next((str(b) for b in pool.subnets(new_prefix=cl.block_len) if str(b) not in taken), None)
        if free is None:
            raise EngineError(f"calico pool {cl.pool} has no free /{cl.block_len} block for {host}")
        if store.put_if_absent(block_key(host, free), json.dumps({"cidr": free, "affinity": f"host:{host}"})):
            return free
    raise EngineError(f"could not claim a block of {cl.pool} for {host}")


# ---- what goes into text a root tool reads (BIRD's config, iptables-restore): checked again here ----


def _address(text: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not an IPv4 address", where="calico") from None


def _bird_safe(cl: CalicoLab, host: str, block: str) -> None:
    """Every value bird_conf splices in is a name, an address or a number — whatever validated the
    playbook (the lab's record is read back from disk too)."""
    check_lab_name(cl.lab, where="calico lab")
    for name, address in cl.hosts.items():
        require_name(name, what="calico host")
        _address(address, f"host {name}'s address")
    require_name(host, what="calico host")
    ipaddress.IPv4Network(block)  # ValueError on anything else
    if not isinstance(cl.asn, int) or isinstance(cl.asn, bool):
        raise InvalidInput(f"calico asn {cl.asn!r} is not a number", where="calico.asn")


def _policy_safe(p: Policy) -> None:
    require_name(p.name, what="calico policy")
    for r in p.allow:
        if r.protocol not in ("tcp", "udp") or not isinstance(r.port, int) or not 0 < r.port < 65536:
            raise InvalidInput(
                f"policy {p.name}: {r.protocol}/{r.port!r} is not a tcp or udp port 1-65535", where="policies"
            )


def _workload_safe(w: Workload) -> None:
    if not _IFNAME.fullmatch(w.veth):
        raise InvalidInput(f"workload {w.name}: {w.veth!r} is not an interface name", where="calico")
    if w.ip:  # one without an address is in no rule
        _address(w.ip, f"workload {w.name}'s address")


# ---- BIRD: one per host, a full iBGP mesh over the lab switch ----


def bird_conf(cl: CalicoLab, host: str, block: str) -> str:
    _bird_safe(cl, host, block)
    me = cl.hosts[host]
    peers = "".join(
        f"""
protocol bgp mesh_{re.sub(r"[^a-z0-9]", "_", name)} from mesh {{
  neighbor {address} as {cl.asn};
}}
"""
        for name, address in sorted(cl.hosts.items())
        if name != host
    )
    return f"""# written by dockerctl for lab {cl.lab}, host {host} (calico's model, seed X13)
router id {me};
protocol device {{ scan time 2; }}
protocol static {{
  ipv4;
  route {block} blackhole;   # this host's block: announced, and no traffic for it leaves by the default route
}}
protocol kernel {{
  ipv4 {{ import none; export filter {{ if source ~ [RTS_BGP, RTS_STATIC] then accept; reject; }}; }};
  scan time 2;
}}
template bgp mesh {{
  local {me} as {cl.asn};
  strict bind yes;
  direct;   # the peers share the lab switch: next hops are on it
  connect retry time 1;
  ipv4 {{ import all; export where source = RTS_STATIC; next hop self; }};
}}
{peers}"""


def bird_pid(cl: CalicoLab, host: str) -> int | None:
    d = cl.host_dir(host)
    return LocalHost().owned_pid(str(d / "bird.pid"), "bird", str(d))


def start_bird(cl: CalicoLab, host: str, block: str) -> None:
    """The host's BIRD, in its namespace, with this config (restarted when the config changed)."""
    if shutil.which("bird") is None:
        raise EngineUnavailable("BIRD is not installed", hint="scripts/setup installs it (Debian: bird2)")
    d = cl.host_dir(host)
    d.mkdir(parents=True, exist_ok=True)
    conf = bird_conf(cl, host, block)
    running = bird_pid(cl, host)
    if running is not None and (d / "bird.conf").exists() and (d / "bird.conf").read_text() == conf:
        return
    stop_bird(cl, host)
    (d / "bird.conf").write_text(conf)
    argv = [
        "bird", "-f", "-c", str(d / "bird.conf"), "-s", str(d / "bird.ctl"), "-P", str(d / "bird.pid"),
    ]  # fmt: skip
    daemon = NetnsHost(host).start_daemon(argv, log=d / "bird.log")
    if daemon.until(lambda: (d / "bird.ctl").exists() and bird_pid(cl, host) is not None, 10):
        return
    raise EngineError(f"BIRD on {host} did not start: {(d / 'bird.log').read_text(errors='replace')[-400:]}")


def stop_bird(cl: CalicoLab, host: str) -> None:
    pid = bird_pid(cl, host)
    if pid is not None:
        LocalHost().end(pid, lambda: bird_pid(cl, host), wait=5)
    for name in ("bird.ctl", "bird.pid"):
        (cl.host_dir(host) / name).unlink(missing_ok=True)


def parse_protocols(text: str) -> dict[str, tuple[str, str]]:
    """`birdc show protocols` → name → (state, info), e.g. mesh_cal2 → ("up", "Established")."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] in ("BGP", "Static", "Kernel", "Device", "Direct"):
            info = " ".join(parts[5:]) if len(parts) > 5 else ""
            out[parts[0]] = (parts[3], info)
    return out


def bgp_sessions(cl: CalicoLab, host: str) -> dict[str, tuple[str, str]]:
    done = LocalHost().run(["birdc", "-s", str(cl.host_dir(host) / "bird.ctl"), "show", "protocols"])
    return {k: v for k, v in parse_protocols(done.stdout).items() if k.startswith("mesh_")}


def wait_for_mesh(cl: CalicoLab, wait: float = 60) -> None:
    """Until every host's BGP session with every other is Established (calico-node waits too)."""
    deadline = time.monotonic() + wait
    while True:
        down = {
            host: [n for n, (state, info) in bgp_sessions(cl, host).items() if "Established" not in info]
            for host in cl.hosts
        }
        missing = {h: (len(bgp_sessions(cl, h)) < len(cl.hosts) - 1) for h in cl.hosts}
        if not any(down.values()) and not any(missing.values()):
            return
        if time.monotonic() > deadline:
            raise EngineError(
                f"BGP between the hosts did not come up within {wait:g}s: "
                + "; ".join(
                    f"{h}: {', '.join(d) or 'sessions missing'}" for h, d in down.items() if d or missing[h]
                )
            )
        time.sleep(0.5)


# ---- policy: Felix's chains ----


@dataclass(frozen=True)
class Workload:
    name: str
    host: str
    ip: str
    veth: str  # its host end, cali<endpoint>
    labels: dict[str, str] = field(default_factory=dict)


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def compile_policies(policies: tuple[Policy, ...], workloads: list[Workload], host: str) -> list[str]:
    """The iptables-restore lines (table filter) for `host`: a chain per selected workload on it."""
    for p in policies:
        _policy_safe(p)  # a name with a newline would add a rule of its own to the table
    for w in workloads:
        _workload_safe(w)
    lines = ["*filter", ":cali-FORWARD - [0:0]", ":cali-to-wl-dispatch - [0:0]"]
    body = ["-A cali-FORWARD -o cali+ -j cali-to-wl-dispatch"]
    for w in sorted((w for w in workloads if w.host == host), key=lambda w: w.veth):
        applied = [p for p in policies if selects(p.selector, w.labels)]
        if not applied:
            continue  # no policy selects it: everything may reach it (calico's default profile)
        chain = f"cali-tw-{w.veth}"
        lines.append(f":{chain} - [0:0]")
        body.append(f"-A cali-to-wl-dispatch -o {w.veth} -j {chain}")
        body.append(f"-A {chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        for p in applied:
            for r in p.allow:
                for src in sorted(s.ip for s in workloads if selects(r.source, s.labels) and s.ip):
                    body.append(
                        f"-A {chain} -s {src}/32 -p {r.protocol} -m multiport --destination-ports {r.port} "
                        f'-m comment --comment "policy {p.name}" -j ACCEPT'
                    )
        body.append(f'-A {chain} -m comment --comment "no policy passed the packet" -j DROP')
    return [*lines, *body, "COMMIT", ""]


def apply_policies(k: Host, lines: list[str], tag: str) -> None:
    """Load the chains (flushing earlier ones) and jump to cali-FORWARD first in FORWARD."""
    done = k.run(["iptables-restore", "--noflush"], stdin="\n".join(lines))
    if not done.ok:
        raise EngineError(f"iptables-restore on {k.name} failed: {done.stderr.strip()}")
    jump = ["FORWARD", "-m", "comment", "--comment", tag, "-j", "cali-FORWARD"]
    if not k.run(["iptables", "-C", *jump]).ok:
        k.run(["iptables", "-I", *jump[:1], "1", *jump[1:]])
