"""`net path A B` across hosts: every hop between two containers read from the kernels they run on —
A's eth0 and its veth peer in the overlay namespace, br0, vxlan0 with its VNI and the remote VTEP its
FDB holds for B's MAC, A's host's interface towards that VTEP, the lab switch port and bridge on this
machine, then the same on B's side; for macvlan, each eth0 with its parent and the switch between."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from docker.models.containers import Container

from dockerctl.checks.subject import running_pid
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.errors import DockerctlError, InvalidInput, NotFound
from dockerctl.fabric import labhosts
from dockerctl.hosts import Host, LocalHost
from dockerctl.jsonout import Jsonable
from dockerctl.observe.overlay import exec_roots_of, namespace_path


@dataclass(frozen=True)
class Hop:
    host: str  # where it was read
    what: str  # "eth0 of a", "vxlan0", "lab switch" …
    detail: str
    evidence: str

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class CrossPath(Jsonable):
    JSON = "from=source to=dest kind hops"

    source: str
    dest: str
    kind: str  # overlay | macvlan
    hops: list[Hop] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.hops)


def _json(host: Host, argv: list[str], pid: int | None = None, netns: str | None = None) -> Any:
    if pid is not None:
        done = host.nsenter(pid, argv)
    elif netns is not None:
        done = host.run(["nsenter", f"--net={netns}", "--", *argv])
    else:
        done = host.run(argv)
    if not done.ok:
        raise DockerctlError(f"`{done.shown}` failed on {host.name}: {done.stderr.strip()}")
    return json.loads(done.stdout or "[]")


def find_container(ref: str, engine: Engine) -> tuple[Container, Engine, str]:
    """A container by name on this engine or on any lab host's engine → (container, engine, host name)."""
    candidates: list[tuple[Engine, str]] = [(engine, engine.name)]
    for h, e in labhosts.walk(labhosts.all_hosts()):
        candidates.append((e, h.name))
    found = None
    for e, name in candidates:
        if found is None:
            try:
                found = (engine_call(e.client.containers.get, ref, what=f"find container {ref}"), e, name)
                continue
            except (NotFound, DockerctlError):
                pass
        if e is not engine:
            e.close()
    if found is None:
        raise NotFound(f"container {ref!r} is on neither this engine nor a lab host's", where="CONTAINER")
    return found


def _eth0(host: Host, c: Container) -> dict[str, Any]:
    pid = running_pid(c, needs="its network namespace")
    items = _json(host, ["ip", "-json", "-d", "addr", "show", "dev", "eth0"], pid=pid)
    return dict(items[0]) if items else {}


def _inet(link: dict[str, Any]) -> str:
    return ", ".join(
        f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info") or [] if a.get("family") == "inet"
    )


def _switch_port(host_name: str) -> Hop | None:
    """The simulated host's eth0 peer on this machine and the bridge it hangs on (the lab switch)."""
    local = LocalHost()
    items = (
        _json(local, ["ip", "-json", "-d", "link", "show", "dev", f"dh-{host_name}"])
        if local.exists(f"/sys/class/net/dh-{host_name}")
        else []
    )
    if not items:
        return None
    link = items[0]
    return Hop("this machine", "lab switch", f"port {link['ifname']} on bridge {link.get('master', '?')}",
               f"ip -d link show dh-{host_name}")  # fmt: skip


def path_between(engine: Engine, a_ref: str, b_ref: str) -> CrossPath:
    a, ea, ha = find_container(a_ref, engine)
    b, eb, hb = find_container(b_ref, engine)
    try:
        if ea.url == eb.url:
            raise InvalidInput(
                f"{a.name} and {b.name} run on the same engine: `dockerctl net path {a.name}` shows its plumbing",
                where="B",
            )
        la, lb = _eth0(ea.host, a), _eth0(eb.host, b)
        kind = str((la.get("linkinfo") or {}).get("info_kind", ""))
        path = CrossPath(str(a.name), str(b.name), "macvlan" if kind == "macvlan" else "overlay")
        if path.kind == "macvlan":
            _macvlan(path, (ea, ha, a, la), (eb, hb, b, lb))
        else:
            _overlay(path, (ea, ha, a, la), (eb, hb, b, lb))
        return path
    finally:
        for e in (ea, eb):
            if e is not engine:
                e.close()


Side = tuple[Engine, str, Container, dict[str, Any]]


def _eth0_hop(side: Side) -> Hop:
    e, h, c, link = side
    kind = (link.get("linkinfo") or {}).get("info_kind", "?")
    return Hop(h, f"eth0 of {c.name}", f"{kind}, {_inet(link)}, MAC {link.get('address')}",
               f"ip -d addr show eth0 in pid {running_pid(c, needs='a namespace')}'s namespace on {e.host.name}")  # fmt: skip


def _underlay(e: Engine, h: str, dst: str) -> Hop:
    route = _json(e.host, ["ip", "-json", "route", "get", dst])
    r = route[0] if route else {}
    return Hop(h, f"{h}'s interface towards {dst}", f"{r.get('dev', '?')} from {r.get('prefsrc', '?')}",
               f"ip route get {dst} on {e.host.name}")  # fmt: skip


def _macvlan(path: CrossPath, a: Side, b: Side) -> None:
    ea, ha, _, la = a
    eb, hb, _, lb = b
    b_ip = _inet(lb).split("/")[0]
    path.hops.append(_eth0_hop(a))
    path.hops.append(Hop(ha, "parent", f"{ha}'s interface index {la.get('link_index', '?')} (macvlan in bridge mode: "
                         "no veth, no bridge in between)", "linkinfo of eth0"))  # fmt: skip
    path.hops.append(_underlay(ea, ha, b_ip))
    for h in (ha, hb):
        port = _switch_port(h)
        if port is not None:
            path.hops.append(port)
    path.hops.append(_underlay(eb, hb, _inet(la).split("/")[0]))
    path.hops.append(_eth0_hop(b))


def _overlay_side(path: CrossPath, side: Side, other_mac: str, network_id: str) -> str:
    """The hops inside one host's overlay namespace; → the VTEP its FDB holds for the other side's MAC."""
    e, h, _, link = side
    ns = namespace_path(e.host, network_id, exec_roots_of(h))
    if ns is None:
        raise NotFound(f"no overlay namespace 1-{network_id[:10]} on {h}", where="A/B")
    links = _json(e.host, ["ip", "-json", "-d", "addr"], netns=ns)
    by_index = {x["ifindex"]: x for x in links}
    peer = by_index.get(link.get("link_index"), {})
    path.hops.append(Hop(h, "veth peer in the overlay namespace", f"{peer.get('ifname', '?')} on {peer.get('master', '?')}",
                         f"ip -d addr in {ns} (ifindex {link.get('link_index')})"))  # fmt: skip
    br: dict[str, Any] = next((x for x in links if x["ifname"] == "br0"), {})
    path.hops.append(Hop(h, "br0", f"gateway {_inet(br)}", f"ip addr in {ns}"))
    vx: dict[str, Any] = next((x for x in links if (x.get("linkinfo") or {}).get("info_kind") == "vxlan"), {})
    data = (vx.get("linkinfo") or {}).get("info_data") or {}
    fdb = _json(e.host, ["bridge", "-json", "fdb", "show", "dev", vx.get("ifname", "vxlan0")], netns=ns)
    vtep = next((x.get("dst", "") for x in fdb if x.get("mac") == other_mac and x.get("dst")), "")
    path.hops.append(Hop(h, str(vx.get("ifname", "vxlan0")),
                         f"VNI {data.get('id', '?')}, UDP {data.get('port', '?')}, FDB {other_mac} → VTEP {vtep or '?'}",
                         f"ip -d link and bridge fdb in {ns}"))  # fmt: skip
    return vtep


def _overlay(path: CrossPath, a: Side, b: Side) -> None:
    ea, ha, ca, la = a
    eb, hb, cb, lb = b
    nets_a = (ca.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    nets_b = (cb.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    shared = [n for n in nets_a if n in nets_b and nets_a[n].get("NetworkID")]
    if not shared:
        raise InvalidInput(
            f"{ca.name} and {cb.name} share no network: nothing carries packets between them", where="B"
        )
    network_id = str(nets_a[shared[0]]["NetworkID"])
    path.hops.append(_eth0_hop(a))
    vtep_b = _overlay_side(path, a, str(lb.get("address", "")), network_id)
    path.hops.append(_underlay(ea, ha, vtep_b or "?"))
    for h in (ha, hb):
        port = _switch_port(h)
        if port is not None:
            path.hops.append(port)
    hops_b: list[Hop] = []
    other = CrossPath(path.source, path.dest, path.kind, hops_b)
    vtep_a = _overlay_side(other, b, str(la.get("address", "")), network_id)
    path.hops.append(_underlay(eb, hb, vtep_a or "?"))
    path.hops.extend(reversed(hops_b))
    path.hops.append(_eth0_hop(b))
