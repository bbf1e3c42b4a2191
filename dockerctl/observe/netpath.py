"""A container's network plumbing, each fact read from the kernel (seed N4, C2, C3, O1, O2, X2, X4):
interfaces inside its namespace, each veth's peer on the host (ifindex ↔ iflink), the bridge the peer
hangs on and its address (the gateway), routes, the MASQUERADE rule for its subnet, published ports with
their DNAT rules and docker-proxy processes, and the DNS server it uses."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from dockerctl.hosts import Host
from dockerctl.observe.iproute import Link, Route, as_dict
from dockerctl.observe.iptables import Rule, dnat_for, masquerade_for
from dockerctl.observe.processes import Proc


@dataclass
class Hop:
    interface: dict[str, Any]
    peer: dict[str, Any] | None = None  # the veth end on the host
    bridge: str | None = None
    bridge_addresses: list[str] = field(default_factory=list)
    network: str | None = None  # the engine's network on that bridge
    masquerade: str | None = None
    note: str = ""


@dataclass
class NetPath:
    container: str
    mode: str
    hops: list[Hop] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    ports: list[dict[str, Any]] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "network_mode": self.mode,
            "interfaces": [
                {
                    "interface": h.interface,
                    "host_peer": h.peer,
                    "bridge": h.bridge,
                    "gateway_addresses": h.bridge_addresses,
                    "network": h.network,
                    "masquerade": h.masquerade,
                    "note": h.note,
                }
                for h in self.hops
            ],
            "routes": [r.__dict__ for r in self.routes],
            "published": self.ports,
            "dns": self.dns,
            "notes": self.notes,
        }


def _subnet_of(link: Link) -> str | None:
    for a in link.addresses:
        if a.family == "inet":
            return str(ipaddress.ip_interface(f"{a.local}/{a.prefixlen}").network)
    return None


def build_path(
    name: str,
    mode: str,
    inside: list[Link],
    routes: list[Route],
    host: list[Link],
    nat: list[Rule],
    bridges: dict[str, str],
    ports: dict[str, Any],
    proxies: list[Proc],
    resolv: str,
) -> NetPath:
    """Pure: join the pieces read from the kernel and the engine into one path."""
    path = NetPath(name, mode, routes=routes)
    by_index = {h.ifindex: h for h in host}
    for link in inside:
        hop = Hop(as_dict(link))
        if link.kind == "loopback":
            hop.note = "loopback"
        elif link.link_index is not None:
            peer = by_index.get(link.link_index)
            if peer is not None and peer.link_index == link.ifindex:
                hop.peer = as_dict(peer)
                hop.bridge = peer.master
                if peer.master:
                    br = next((h for h in host if h.name == peer.master), None)
                    hop.bridge_addresses = [f"{a.local}/{a.prefixlen}" for a in br.addresses] if br else []
                    hop.network = bridges.get(peer.master)
                    hop.note = (
                        f"veth pair: {link.name} inside ↔ {peer.name} on the host, attached to {peer.master}"
                    )
            else:
                hop.note = (
                    "its peer is not in the host's namespace: on an overlay it sits on br0 in the overlay network's "
                    "own namespace, next to the vxlan device (seed X5)"
                )
        subnet = _subnet_of(link)
        if subnet and link.kind != "loopback":
            rule = masquerade_for(nat, subnet)
            hop.masquerade = rule.text if rule else None
        path.hops.append(hop)
    for key, bindings in (ports or {}).items():
        port, _, proto = key.partition("/")
        for b in bindings or []:
            hp = str(b.get("HostPort"))
            proxy = [
                f"pid {p.pid}: {' '.join(p.argv)}"
                for p in proxies
                if p.option("-host-port") == hp and p.option("-container-port") == port
            ]
            path.ports.append(
                {
                    "container_port": f"{port}/{proto}",
                    "host": f"{b.get('HostIp')}:{hp}",
                    "dnat": [r.text for r in dnat_for(nat, hp, proto)],
                    "docker_proxy": proxy,
                }
            )
    path.dns = [
        line.split()[1]
        for line in resolv.splitlines()
        if line.startswith("nameserver") and len(line.split()) > 1
    ]
    if "127.0.0.11" in path.dns:
        path.notes.append(
            "DNS: the engine's embedded server 127.0.0.11 resolves container names (user-defined network, seed C2)"
        )
    elif path.dns:
        path.notes.append(
            "DNS: the host's resolvers are copied in; container names do not resolve here "
            "(default bridge, seed C2)"
        )
    if mode.startswith("container:"):
        path.notes.append(f"network stack shared with container {mode.split(':', 1)[1][:12]} (seed C3)")
    if mode == "host":
        path.notes.append("the host's own network stack (seed N3)")
    if mode == "none":
        path.notes.append("only lo: no interface reaches anything (seed N2)")
    return path


def read_resolv(host: Host, pid: int) -> str:
    return host.read_text(f"/proc/{pid}/root/etc/resolv.conf") or ""
