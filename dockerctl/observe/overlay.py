"""An overlay network's plumbing on one host (seed X5), read from the kernel: the namespace the engine
keeps for it (`<exec-root>/netns/1-<first 10 of the network id>`), its br0 and vxlan0 (with the VNI),
vxlan0's FDB (remote VTEPs) and packet counters. Parsers are pure; the readers take a Host."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dockerctl.hosts import Host
from dockerctl.observe.iproute import CommandFailed

# where engines keep their namespaces: a simulated host's exec-root, then the usual ones
EXEC_ROOTS = ("/var/run/docker", "/run/docker")


@dataclass(frozen=True)
class VxlanDevice:
    name: str
    vni: int | None
    port: int | None
    master: str | None
    tx_packets: int
    rx_packets: int


@dataclass
class OverlayNamespace:
    path: str
    bridges: list[str] = field(default_factory=list)
    vxlans: list[VxlanDevice] = field(default_factory=list)
    fdb_remotes: list[str] = field(default_factory=list)  # dst addresses of vxlan0's FDB entries


def exec_roots_of(host_name: str) -> tuple[str, ...]:
    """Where the engine of host `host_name` keeps its namespaces: a simulated host's own exec-root
    (/run/dctl-NAME, fabric/simhost.py), then the usual ones."""
    return (f"/run/dctl-{host_name}", *EXEC_ROOTS)


def namespace_path(host: Host, network_id: str, exec_roots: tuple[str, ...] = EXEC_ROOTS) -> str | None:
    name = f"1-{network_id[:10]}"
    for root in exec_roots:
        if name in (host.list_dir(f"{root}/netns") or []):
            return f"{root}/netns/{name}"
    return None


def parse_links_detailed(text: str) -> tuple[list[str], list[VxlanDevice]]:
    """`ip -json -d -s link` → (bridges, vxlan devices with VNI, port, master and counters)."""
    bridges, vxlans = [], []
    for item in json.loads(text or "[]"):
        info: dict[str, Any] = item.get("linkinfo") or {}
        kind = info.get("info_kind")
        if kind == "bridge":
            bridges.append(item["ifname"])
        elif kind == "vxlan":
            data = info.get("info_data") or {}
            stats = item.get("stats64") or item.get("stats") or {}
            vxlans.append(
                VxlanDevice(
                    item["ifname"],
                    data.get("id"),
                    data.get("port"),
                    item.get("master"),
                    int((stats.get("tx") or {}).get("packets", 0)),
                    int((stats.get("rx") or {}).get("packets", 0)),
                )
            )
    return bridges, vxlans


def parse_fdb_remotes(text: str) -> list[str]:
    """`bridge -json fdb show dev vxlan0` → the remote VTEP addresses (entries with a dst)."""
    return sorted({e["dst"] for e in json.loads(text or "[]") if e.get("dst")})


def _in_ns(host: Host, path: str, argv: list[str]) -> str:
    done = host.run(["nsenter", f"--net={path}", "--", *argv])
    if not done.ok:
        raise CommandFailed(f"`{done.shown}` failed on {host.name}: {done.stderr.strip()}")
    return done.stdout


def read_overlay(host: Host, path: str) -> OverlayNamespace:
    ns = OverlayNamespace(path)
    ns.bridges, ns.vxlans = parse_links_detailed(_in_ns(host, path, ["ip", "-json", "-d", "-s", "link"]))
    for dev in ns.vxlans:
        ns.fdb_remotes += parse_fdb_remotes(
            _in_ns(host, path, ["bridge", "-json", "fdb", "show", "dev", dev.name])
        )
    return ns


def link_kind(host: Host, pid: int, name: str) -> str:
    """The kind of a container's interface (veth, macvlan …) from `ip -d link` in its namespace."""
    done = host.nsenter(pid, ["ip", "-json", "-d", "link", "show", name])
    if not done.ok:
        raise CommandFailed(f"`{done.shown}` failed on {host.name}: {done.stderr.strip()}")
    items = json.loads(done.stdout or "[]")
    return str(((items[0] if items else {}).get("linkinfo") or {}).get("info_kind", ""))
