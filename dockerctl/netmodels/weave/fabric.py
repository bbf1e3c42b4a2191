"""The weave model (seed X12), built from real parts on this kernel (multi-host.md): containers on every
host "as if all plugged into the same network switch".

- Per host a bridge `weave` (MTU of the link − 50) and a vxlan port `vxw` on it (UDP 6784, weave's fast
  datapath port), with a flood FDB entry `00:00:00:00:00:00 dst <peer>` per other host: broadcasts (ARP)
  reach every host, and the bridge learns remote MACs behind `vxw` with their host as `dst`.
- One subnet for the lab (10.32.0.0/12 by default), split into per-host allocation ranges; each host's
  bridge holds the first address of its range (as `weave expose` does).
- Names: `NAME.weave.local` answered by a dnsmasq (Debian's dnsmasq-base) the lab runs on the first
  host's bridge address, authoritative for weave.local and forwarding nothing (`--no-resolv`): the
  containers use it through the engine's embedded DNS.
Open vSwitch (weave's kernel datapath) is absent here; the vxlan bridge port is the same L2 segment.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import signal
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dockerctl.errors import EngineError, EngineUnavailable
from dockerctl.fabric.model_records import LabRecords
from dockerctl.hosts import LocalHost, NetnsHost
from dockerctl.hosts.base import Host
from dockerctl.hosts.paths import write_atomic
from dockerctl.netmodels.weave.section import DOMAIN, bridge_address, resolver_address, split_range
from dockerctl.observe.iproute import FLOOD_MAC
from dockerctl.spec.names import require_name

BRIDGE = "weave"
VXLAN = "vxw"
PORT = 6784
VNI = 0x2A
OVERHEAD = 50
LINK = "eth0"


@dataclass(frozen=True)
class WeaveLab:
    lab: str
    hosts: dict[str, str]  # simulated host → its address on the lab switch (its peers' vxlan dst)
    ip_range: str = "10.32.0.0/12"

    @property
    def dir(self) -> Path:
        return RECORDS.dir(self.lab)

    def allocation(self, host: str) -> str:
        return split_range(self.ip_range, len(self.hosts))[list(self.hosts).index(host)]

    def gateway(self, host: str) -> str:
        """The host's bridge address: the first address of its allocation range."""
        return bridge_address(self.ip_range, len(self.hosts), list(self.hosts).index(host))

    @property
    def resolver(self) -> str:
        return resolver_address(self.ip_range, len(self.hosts))

    @property
    def prefixlen(self) -> int:
        return ipaddress.IPv4Network(self.ip_range).prefixlen

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


RECORDS = LabRecords("weave", lambda d: WeaveLab(d["lab"], dict(d["hosts"]), d["ip_range"]))
save, load, forget = RECORDS.save, RECORDS.load, RECORDS.forget


def _must(k: Host, argv: list[str]) -> None:
    done = k.run(argv)
    if not done.ok:
        raise EngineError(f"`{' '.join(argv)}` failed on {k.name}: {done.stderr.strip()}")


def ensure_segment(k: Host, wl: WeaveLab, host: str, tag: str) -> int:
    """The host's part of the one L2 segment: bridge, vxlan port, flood entries (idempotent). → MTU."""
    links = json.loads(k.run(["ip", "-json", "link", "show", "dev", LINK]).stdout or "[]")
    if not links:
        raise EngineError(f"{LINK} does not exist on {host}: weave needs the host's port on the lab switch")
    mtu = int(links[0].get("mtu") or 1500) - OVERHEAD
    if not k.run(["ip", "link", "show", "dev", BRIDGE]).ok:
        _must(k, ["ip", "link", "add", BRIDGE, "type", "bridge"])
    _must(k, ["ip", "link", "set", "dev", BRIDGE, "mtu", str(mtu), "alias", tag])
    if not k.run(["ip", "link", "show", "dev", VXLAN]).ok:
        _must(k, ["ip", "link", "add", VXLAN, "type", "vxlan", "id", str(VNI), "local", wl.hosts[host],
                  "dev", LINK, "dstport", str(PORT)])  # fmt: skip
    _must(k, ["ip", "link", "set", "dev", VXLAN, "mtu", str(mtu), "alias", tag, "master", BRIDGE, "up"])
    have = k.run(["bridge", "-json", "fdb", "show", "dev", VXLAN])
    flood = {f.get("dst") for f in json.loads(have.stdout or "[]") if f.get("mac") == FLOOD_MAC}
    for peer, address in wl.hosts.items():
        if peer != host and address not in flood:
            _must(k, ["bridge", "fdb", "append", FLOOD_MAC, "dev", VXLAN, "dst", address])
    k.run(["ip", "addr", "replace", f"{wl.gateway(host)}/{wl.prefixlen}", "dev", BRIDGE])
    _must(k, ["ip", "link", "set", "dev", BRIDGE, "up"])
    rule = ["FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-m", "comment", "--comment", tag, "-j", "ACCEPT"]
    if not k.run(["iptables", "-C", *rule]).ok:
        k.run(["iptables", "-I", *rule])
    return mtu


def remove_segment(k: Host) -> None:
    k.run(["ip", "link", "del", "dev", VXLAN])
    k.run(["ip", "link", "del", "dev", BRIDGE])


# ---- names across hosts: dnsmasq on the first host's bridge ----


def hosts_file(wl: WeaveLab) -> Path:
    return wl.dir / "weave.hosts"


def write_names(wl: WeaveLab, names: dict[str, str]) -> None:
    """name → IP, as `IP NAME.weave.local NAME` lines (dnsmasq's addn-hosts)."""
    for name, ip in names.items():  # a name with a newline or a space would add a line or a name of its own
        require_name(name, what="weave container")
        ipaddress.IPv4Address(ip)
    wl.dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{ip} {name}.{DOMAIN}" for name, ip in sorted(names.items())]
    write_atomic(hosts_file(wl), "\n".join(lines) + "\n")


def dnsmasq_pid(wl: WeaveLab) -> int | None:
    return LocalHost().owned_pid(str(wl.dir / "dnsmasq.pid"), "dnsmasq", str(wl.dir))


def start_resolver(wl: WeaveLab) -> None:
    """dnsmasq in the first host's namespace, on its bridge address, for weave.local only (idempotent:
    a running one re-reads the names)."""
    pid, local = dnsmasq_pid(wl), LocalHost()
    running = local.owned(pid, lambda: dnsmasq_pid(wl)) if pid is not None else None
    if running is not None and local.send_signal(running, signal.SIGHUP):
        return  # dnsmasq re-reads its addn-hosts file
    if shutil.which("dnsmasq") is None:
        raise EngineUnavailable(
            "dnsmasq is not installed", hint="scripts/setup installs it (Debian: dnsmasq-base)"
        )
    first = next(iter(wl.hosts))
    argv = [
        "dnsmasq", "--keep-in-foreground", "--no-resolv",
        "--no-hosts", "--no-poll", f"--addn-hosts={hosts_file(wl)}", f"--local=/{DOMAIN}/", f"--domain={DOMAIN}",
        f"--listen-address={wl.resolver}", "--bind-interfaces", "--except-interface=lo",
        f"--pid-file={wl.dir / 'dnsmasq.pid'}", "--user=root", "--log-facility=-",
    ]  # fmt: skip
    daemon = NetnsHost(first).start_daemon(argv, log=wl.dir / "dnsmasq.log")
    if daemon.until(lambda: dnsmasq_pid(wl) is not None, 10):
        return
    raise EngineError(f"dnsmasq did not start: {(wl.dir / 'dnsmasq.log').read_text(errors='replace')[-400:]}")


def stop_resolver(wl: WeaveLab) -> None:
    pid = dnsmasq_pid(wl)
    if pid is not None:
        LocalHost().end(pid, lambda: dnsmasq_pid(wl), wait=5)
