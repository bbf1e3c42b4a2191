"""The CNM made visible (seed X2, X14): for a network — any driver, the engine's own or a plugin's — each
container's sandbox (its network namespace: path and inode), its endpoint (the interface in the sandbox,
its addresses, and the veth end on the host), and the network's own kernel objects (bridge, vxlan
device, routes), all read from the kernel of the host the network lives on. Each network is labelled
overlay or underlay from evidence: whether an encapsulation device carries its traffic (X14)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

from docker.models.networks import Network

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import LAB as LAB_LABEL
from dockerctl.errors import DockerctlError, NotFound
from dockerctl.fabric import labhosts
from dockerctl.hosts.base import Host
from dockerctl.jsonout import Jsonable
from dockerctl.netmodels.base import models
from dockerctl.observe.iproute import json_rows
from dockerctl.observe.overlay import exec_roots_of, namespace_path, read_overlay


@dataclass
class Endpoint:
    container: str
    sandbox: str  # the namespace the engine made (SandboxKey) — the CNM sandbox
    netns: str  # /proc/<pid>/ns/net
    inode: str  # its inode: two sandboxes are the same namespace exactly when these agree
    interface: str  # the endpoint inside the sandbox
    kind: str  # veth, macvlan …
    addresses: list[str]
    mac: str
    host_end: str  # the veth end outside the sandbox (name, and the bridge it hangs on), if any


@dataclass
class NetworkView:
    host: str
    name: str
    driver: str
    network_id: str
    subnets: list[str]
    endpoints: list[Endpoint] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # bridge, vxlan, routes: the network in the kernel
    carried_by: list[str] = field(default_factory=list)  # encapsulation devices carrying its traffic
    notes: list[str] = field(default_factory=list)

    @property
    def model(self) -> str:
        return "overlay" if self.carried_by else "underlay"

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "name": self.name,
            "driver": self.driver,
            "id": self.network_id,
            "subnets": self.subnets,
            "model": self.model,
            "evidence": self.carried_by or ["no encapsulation device carries its traffic"],
            "network": self.objects,
            "endpoints": [e.__dict__ for e in self.endpoints],
            "notes": self.notes,
        }


@dataclass
class CnmReport(Jsonable):
    JSON = "ok network hosts=views"

    network: str
    views: list[NetworkView] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.views)


def _inet(link: dict[str, Any]) -> list[str]:
    return [
        f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info") or [] if a.get("family") == "inet"
    ]


def _kind(link: dict[str, Any]) -> str:
    return str((link.get("linkinfo") or {}).get("info_kind", "") or link.get("link_type", ""))


def _bridge_of(net: Network) -> str | None:
    attrs = net.attrs
    driver = attrs.get("Driver")
    if driver == "bridge":
        opts = attrs.get("Options") or {}
        return str(opts.get("com.docker.network.bridge.name") or f"br-{attrs['Id'][:12]}")
    model = models().get(str(driver))
    return model.bridge(str(attrs["Id"])) if model is not None else None


def view_of(host_name: str, e: Engine, net: Network) -> NetworkView:
    engine_call(net.reload, what=f"inspect network {net.name}")
    attrs = net.attrs
    subnets = [c.get("Subnet", "") for c in (attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")]
    view = NetworkView(host_name, str(net.name), str(attrs.get("Driver")), str(attrs["Id"]), subnets)
    host = e.host
    host_links = {int(link["ifindex"]): link for link in json_rows(host, ["ip", "-json", "-d", "addr"])}
    overlay_ns = (
        namespace_path(host, view.network_id, exec_roots_of(host_name)) if view.driver == "overlay" else None
    )
    ns_links: dict[int, dict[str, Any]] = {}
    if overlay_ns is not None:
        done = host.run(["nsenter", f"--net={overlay_ns}", "--", "ip", "-json", "-d", "addr"])
        ns_links = {int(link["ifindex"]): link for link in json.loads(done.stdout or "[]")} if done.ok else {}
    for cid, info in sorted((attrs.get("Containers") or {}).items(), key=lambda kv: str(kv[1].get("Name"))):
        try:
            c = engine_call(e.client.containers.get, cid, what=f"inspect container {cid[:12]}")
        except DockerctlError:
            continue
        pid = int((c.attrs.get("State") or {}).get("Pid") or 0)
        if not pid:
            continue
        want = str(info.get("IPv4Address", "")).split("/")[0]
        links = json_rows(host, ["ip", "-json", "-d", "addr"], pid=pid)
        link = next((lk for lk in links if any(a.startswith(want + "/") for a in _inet(lk))), None)
        if link is None:
            continue
        peer = link.get("link_index")
        outside = ""
        if _kind(link) == "veth" and peer is not None:
            end = (ns_links or host_links).get(int(peer)) or host_links.get(int(peer))
            if end is not None:
                where = "overlay namespace" if ns_links and int(peer) in ns_links else "host"
                master = end.get("master")
                outside = f"{end['ifname']} ({where}" + (f", on {master})" if master else ")")
        elif _kind(link) == "macvlan":
            outside = "none: a macvlan device on the host's parent, no veth"
        inode = host.run(["stat", "-L", "-c", "%i", f"/proc/{pid}/ns/net"])
        view.endpoints.append(
            Endpoint(
                str(c.name),
                str((c.attrs.get("NetworkSettings") or {}).get("SandboxKey", "")),
                f"/proc/{pid}/ns/net",
                inode.stdout.strip() if inode.ok else "?",
                str(link["ifname"]),
                _kind(link),
                _inet(link),
                str(link.get("address", "")),
                outside,
            )
        )
    _network_objects(view, host, host_links, net, overlay_ns)
    return view


def _network_objects(
    view: NetworkView, host: Host, links: dict[int, dict[str, Any]], net: Network, overlay_ns: str | None
) -> None:
    by_name = {str(link["ifname"]): link for link in links.values()}
    model = models().get(view.driver)
    bridge = _bridge_of(net)
    if bridge and bridge in by_name:
        view.objects.append(
            f"bridge {bridge} {', '.join(_inet(by_name[bridge]))} mtu {by_name[bridge].get('mtu')}"
        )
    if view.driver == "macvlan":
        view.objects.append(f"parent {(net.attrs.get('Options') or {}).get('parent', '?')}")
    if overlay_ns is not None:
        ns = read_overlay(host, overlay_ns)
        view.objects += [f"bridge {b} (in {overlay_ns})" for b in ns.bridges]
        for v in ns.vxlans:
            view.objects.append(f"vxlan {v.name} VNI {v.vni} (in {overlay_ns})")
            view.carried_by.append(f"{v.name}: vxlan, VNI {v.vni}, in the overlay namespace {overlay_ns}")
    elif view.driver == "overlay":
        view.notes.append("the overlay namespace is made when the first container joins on this host")
    for link in links.values():
        info = link.get("linkinfo") or {}
        carries = model is not None and model.carries(str(link["ifname"]))
        if info.get("info_kind") != "vxlan" or not carries:
            continue
        data = info.get("info_data") or {}
        view.objects.append(
            f"vxlan {link['ifname']} VNI {data.get('id')} port {data.get('port')} mtu {link.get('mtu')}"
        )
        view.carried_by.append(f"{link['ifname']}: vxlan, VNI {data.get('id')}, UDP {data.get('port')}")
    lab = str((net.attrs.get("Labels") or {}).get(LAB_LABEL, ""))
    ranges = model.route_ranges(lab, view.subnets) if model is not None else None
    if model is not None and ranges is not None:
        for r in json_rows(host, ["ip", "-json", "route", "show"]):
            dst = str(r.get("dst", ""))
            if "/" not in dst and dst not in ("default",) and model.host_routes:
                dst += "/32"
            if not dst[:1].isdigit():
                continue
            inside = any(
                ipaddress.IPv4Network(dst, strict=False).subnet_of(ipaddress.IPv4Network(s)) for s in ranges
            )
            if inside:
                how = " ".join(
                    x for x in (
                        r.get("type") if r.get("type") not in (None, "unicast") else "",
                        f"via {r['gateway']}" if r.get("gateway") else "",
                        f"dev {r['dev']}" if r.get("dev") else "",
                        f"proto {r['protocol']}" if r.get("protocol") else "",
                    ) if x
                )  # fmt: skip
                view.objects.append(f"route {dst} {how}")


def net_cnm(engine: Engine, name: str) -> CnmReport:
    """The network `name` on this engine and on every lab host's engine that has one of that name."""
    report = CnmReport(name)
    candidates: list[tuple[str, Engine]] = [(engine.name, engine)]
    candidates += [(h.name, e) for h, e in labhosts.walk(labhosts.all_hosts())]
    try:
        for host_name, e in candidates:
            try:
                net = engine_call(e.client.networks.get, name, what=f"find network {name}")
            except (NotFound, DockerctlError):
                continue
            report.views.append(view_of(host_name, e, net))
    finally:
        labhosts.close_engines((e for _, e in candidates), engine)
    if not report.views:
        raise NotFound(f"network {name!r} is on neither this engine nor a lab host's", where="NETWORK")
    return report
