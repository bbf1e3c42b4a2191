"""The flannel model (seed X11), built from real parts: flannel's own etcd key layout and lease values,
and the kernel entries its backends program — read from flannel-io/flannel (`pkg/subnet/etcd`,
`pkg/backend/hostgw/hostgw.go`, `pkg/backend/vxlan/vxlan_network.go`, `device.go`; multi-host.md).

- Config at `/coreos.com/network/config`: `{"Network": "10.5.0.0/16", "SubnetLen": 24, "Backend":
  {"Type": "host-gw" | "vxlan", "VNI": 1, "Port": 8472}}`.
- One lease per host at `/coreos.com/network/subnets/<ip>-<len>`, value `{"PublicIP", "BackendType",
  "BackendData"}` (vxlan: `{"VNI": 1, "VtepMAC": …}`), attached to an etcd lease with a TTL (flannel:
  24 h) that the host renews.
- host-gw: per remote lease, `<subnet> via <PublicIP> dev eth0`.
- vxlan: `flannel.<VNI>` (UDP 8472, `nolearning`, MTU = link − 50, address `<subnet>.0/32`); per
  remote lease exactly three entries: route `<subnet> via <subnet>.0 dev flannel.1 onlink`, neighbour
  `<subnet>.0 lladdr <VtepMAC> nud permanent`, FDB `<VtepMAC> dst <PublicIP> self permanent`.

This module is the model's pure part (config, leases, subnet choice, desired entries) and its kernel
part (read what a host holds; program the difference). The plugin (driver.py) calls it.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.errors import EngineError
from dockerctl.fabric.model_records import LabRecords
from dockerctl.hosts.base import Host
from dockerctl.observe.iproute import FLOOD_MAC, json_rows

PREFIX = "/coreos.com/network"
CONFIG_KEY = f"{PREFIX}/config"
SUBNETS = f"{PREFIX}/subnets/"
VXLAN_PORT = 8472
VXLAN_OVERHEAD = 50  # flannel: MTU of the link minus 50 for the vxlan header
LINK = "eth0"  # a simulated host's port on the lab switch: flannel's "external interface"


@dataclass(frozen=True)
class Config:
    network: str  # e.g. 10.5.0.0/16
    backend: str = "vxlan"  # host-gw | vxlan
    subnet_len: int = 24
    vni: int = 1

    def to_json(self) -> str:
        backend: dict[str, Any] = {"Type": self.backend}
        if self.backend == "vxlan":
            backend.update({"VNI": self.vni, "Port": VXLAN_PORT})
        return json.dumps({"Network": self.network, "SubnetLen": self.subnet_len, "Backend": backend})

    @staticmethod
    def from_json(text: str) -> Config:
        data = json.loads(text)
        backend = data.get("Backend") or {}
        return Config(
            str(data["Network"]),
            str(backend.get("Type") or "udp"),
            int(data.get("SubnetLen") or 24),
            int(backend.get("VNI") or 1),
        )

    @property
    def device(self) -> str:
        return f"flannel.{self.vni}"

    def subnets(self) -> list[ipaddress.IPv4Network]:
        """The subnets leases are taken from: flannel's SubnetMin (the second) to SubnetMax (the last)."""
        net = ipaddress.IPv4Network(self.network)
        return list(net.subnets(new_prefix=self.subnet_len))[1:]


@dataclass(frozen=True)
class Lease:
    subnet: str  # 10.5.1.0/24
    public_ip: str  # the host's address on the lab switch
    backend: str
    vtep_mac: str = ""  # vxlan only
    vni: int = 0
    lease_id: int = 0

    @property
    def key(self) -> str:
        return lease_key(self.subnet)

    def to_json(self) -> str:
        value: dict[str, Any] = {"PublicIP": self.public_ip, "BackendType": self.backend}
        if self.backend == "vxlan":
            value["BackendData"] = {"VNI": self.vni, "VtepMAC": self.vtep_mac}
        return json.dumps(value)

    @property
    def vtep_ip(self) -> str:
        """vxlan: the subnet's .0 address, on the flannel device."""
        return str(ipaddress.ip_network(self.subnet).network_address)


def lease_key(subnet: str) -> str:
    net = ipaddress.ip_network(subnet)
    return f"{SUBNETS}{net.network_address}-{net.prefixlen}"


def parse_lease(key: str, value: str, lease_id: int = 0) -> Lease | None:
    """A lease from its etcd key and value; None for a key that is not a lease."""
    if not key.startswith(SUBNETS):
        return None
    try:
        ip, length = key[len(SUBNETS) :].rsplit("-", 1)
        subnet = str(ipaddress.ip_network(f"{ip}/{int(length)}"))
        data = json.loads(value)
    except ValueError:
        return None
    backend = data.get("BackendData") or {}
    return Lease(
        subnet,
        str(data.get("PublicIP") or ""),
        str(data.get("BackendType") or ""),
        str(backend.get("VtepMAC") or ""),
        int(backend.get("VNI") or 0),
        lease_id,
    )


def free_subnet(config: Config, taken: list[str]) -> str:
    """The first subnet no lease holds (flannel picks at random among them; first is reproducible)."""
    used = {ipaddress.ip_network(s) for s in taken}
    for sub in config.subnets():
        if sub not in used:
            return str(sub)
    raise EngineError(f"flannel network {config.network} has no free /{config.subnet_len} subnet left")


@dataclass(frozen=True)
class Entries:
    """What a host's kernel should hold for the other hosts' leases (and nothing more)."""

    routes: dict[str, str] = field(default_factory=dict)  # subnet → via (and dev)
    neighbours: dict[str, str] = field(default_factory=dict)  # vxlan: <subnet>.0 → VtepMAC
    fdb: dict[str, str] = field(default_factory=dict)  # vxlan: VtepMAC → PublicIP


def desired(config: Config, own_subnet: str, leases: list[Lease]) -> Entries:
    routes: dict[str, str] = {}
    neigh: dict[str, str] = {}
    fdb: dict[str, str] = {}
    for lease in leases:
        if lease.subnet == own_subnet or lease.backend != config.backend:
            continue
        if config.backend == "host-gw":
            routes[lease.subnet] = f"{lease.public_ip} dev {LINK}"
        elif lease.vtep_mac:
            routes[lease.subnet] = f"{lease.vtep_ip} dev {config.device} onlink"
            neigh[lease.vtep_ip] = lease.vtep_mac
            fdb[lease.vtep_mac] = lease.public_ip
    return Entries(routes, neigh, fdb)


# ---- the kernel side: what a host holds, and programming the difference ----


def observed(host: Host, config: Config) -> Entries:
    """The entries the backend owns on `host`, read from the kernel: routes into the flannel network
    (other than the host's own bridge subnet) and, for vxlan, the flannel device's neighbours and FDB."""
    net = ipaddress.ip_network(config.network)
    routes: dict[str, str] = {}
    for r in json_rows(host, ["ip", "-json", "route", "show"]):
        dst = r.get("dst", "")
        if "/" not in dst or not r.get("gateway"):
            continue
        if not ipaddress.ip_network(dst).subnet_of(net):  # type: ignore[arg-type]
            continue
        onlink = " onlink" if "onlink" in (r.get("flags") or []) else ""
        routes[dst] = f"{r['gateway']} dev {r.get('dev', '')}{onlink}"
    neigh: dict[str, str] = {}
    fdb: dict[str, str] = {}
    if config.backend == "vxlan":
        for n in json_rows(host, ["ip", "-json", "neigh", "show", "dev", config.device]):
            if n.get("lladdr") and "PERMANENT" in (n.get("state") or []):
                neigh[n["dst"]] = n["lladdr"]
        for f in json_rows(host, ["bridge", "-json", "fdb", "show", "dev", config.device]):
            if f.get("dst") and f.get("mac") and f.get("mac") != FLOOD_MAC:
                fdb[f["mac"]] = f["dst"]
    return Entries(routes, neigh, fdb)


def _must(host: Host, argv: list[str]) -> None:
    done = host.run(argv)
    if not done.ok:
        raise EngineError(f"`{' '.join(argv)}` failed on {host.name}: {done.stderr.strip()}")


def reconcile(host: Host, config: Config, own_subnet: str, leases: list[Lease]) -> Entries:
    """Make `host` hold exactly the entries the leases call for: add what is missing, remove what no
    lease backs any more (a deleted or expired lease takes its routes with it). → what it now holds."""
    want = desired(config, own_subnet, leases)
    have = observed(host, config)
    for subnet, via in have.routes.items():
        if want.routes.get(subnet) != via:
            host.run(["ip", "route", "del", subnet])
    for ip, mac in have.neighbours.items():
        if want.neighbours.get(ip) != mac:
            host.run(["ip", "neigh", "del", ip, "dev", config.device])
    for mac, dst in have.fdb.items():
        if want.fdb.get(mac) != dst:
            host.run(["bridge", "fdb", "del", mac, "dev", config.device, "dst", dst])
    # vxlan: FDB and neighbour first, then the route that needs them (flannel's order)
    for mac, dst in want.fdb.items():
        if have.fdb.get(mac) != dst:
            _must(
                host, ["bridge", "fdb", "replace", mac, "dev", config.device, "dst", dst, "self", "permanent"]
            )
    for ip, mac in want.neighbours.items():
        if have.neighbours.get(ip) != mac:
            _must(
                host, ["ip", "neigh", "replace", ip, "lladdr", mac, "dev", config.device, "nud", "permanent"]
            )
    for subnet, via in want.routes.items():
        if have.routes.get(subnet) != via:
            _must(host, ["ip", "route", "replace", subnet, "via", *via.split()])
    return want


def link_mtu(host: Host, dev: str = LINK) -> int:
    for link in json_rows(host, ["ip", "-json", "link", "show", "dev", dev]):
        return int(link.get("mtu") or 1500)
    raise EngineError(f"{dev} does not exist on {host.name}: flannel needs the host's external interface")


def ensure_vxlan_device(host: Host, config: Config, public_ip: str, alias: str) -> str:
    """flannel.<VNI> as flannel makes it (idempotent; its address, the lease's <subnet>.0/32, comes once
    the lease is taken). → its MAC (the lease's VtepMAC)."""
    dev = config.device
    if not json_rows(host, ["ip", "-json", "link", "show", "dev", dev]):
        mtu = link_mtu(host) - VXLAN_OVERHEAD
        _must(host, ["ip", "link", "add", dev, "type", "vxlan", "id", str(config.vni), "local", public_ip,
                     "dev", LINK, "dstport", str(VXLAN_PORT), "nolearning"])  # fmt: skip
        _must(host, ["ip", "link", "set", "dev", dev, "mtu", str(mtu), "alias", alias])
    _must(host, ["ip", "link", "set", "dev", dev, "up"])
    for link in json_rows(host, ["ip", "-json", "link", "show", "dev", dev]):
        return str(link.get("address") or "")
    raise EngineError(f"{dev} vanished on {host.name}")


def network_mtu(host: Host, config: Config) -> int:
    """The MTU of the flannel network's bridge and veths: the link's, less the vxlan header for vxlan."""
    return link_mtu(host) - (VXLAN_OVERHEAD if config.backend == "vxlan" else 0)


# ---- a lab's flannel: its hosts and config, recorded for the plugin process ----


@dataclass(frozen=True)
class FlannelLab:
    lab: str
    hosts: dict[str, str]  # simulated host → its PublicIP (address on the lab switch)
    config: Config
    lease_ttl: int = 86400  # flannel: 24 h, renewed within the last hour

    @property
    def dir(self) -> Path:
        return RECORDS.dir(self.lab)

    @property
    def renew_within(self) -> int:
        return min(3600, self.lease_ttl // 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "hosts": self.hosts,
            "config": asdict(self.config),
            "lease_ttl": self.lease_ttl,
        }


RECORDS = LabRecords(
    "flannel", lambda d: FlannelLab(d["lab"], dict(d["hosts"]), Config(**d["config"]), int(d["lease_ttl"]))
)
save, load, forget = RECORDS.save, RECORDS.load, RECORDS.forget
