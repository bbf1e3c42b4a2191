"""`ip -json` output (iproute2) as small typed records; the commands run in a network namespace by
entering it with nsenter (never `ip netns exec`, which re-mounts /sys)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dockerctl.errors import DockerctlError, ExitCode
from dockerctl.hosts import Host

FLOOD_MAC = "00:00:00:00:00:00"  # a bridge FDB entry for every unknown destination (flooding), e.g. ARP


@dataclass(frozen=True)
class Address:
    family: str
    local: str
    prefixlen: int


@dataclass(frozen=True)
class Link:
    ifindex: int
    name: str
    kind: str  # link_type (ether, loopback …)
    state: str
    mac: str
    link_index: int | None  # the peer's ifindex for a veth (iflink)
    master: str | None  # the bridge this link is attached to
    addresses: tuple[Address, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Route:
    dst: str
    gateway: str | None
    dev: str
    prefsrc: str | None


def parse_links(text: str) -> list[Link]:
    """`ip -json addr` (or `ip -json link`) → links with their addresses."""
    out = []
    for item in json.loads(text or "[]"):
        addrs = tuple(
            Address(a.get("family", ""), a.get("local", ""), int(a.get("prefixlen", 0)))
            for a in item.get("addr_info") or []
            if a.get("local")
        )
        out.append(
            Link(
                int(item["ifindex"]),
                item["ifname"],
                item.get("link_type", ""),
                item.get("operstate", ""),
                item.get("address", ""),
                item.get("link_index"),
                item.get("master"),
                addrs,
            )
        )
    return out


def parse_routes(text: str) -> list[Route]:
    return [
        Route(r.get("dst", ""), r.get("gateway"), r.get("dev", ""), r.get("prefsrc"))
        for r in json.loads(text or "[]")
    ]


class CommandFailed(DockerctlError):
    """A reading command failed on its host; the message shows the command and what it said."""

    exit_code = ExitCode.KERNEL_UNREACHABLE


def ip_json(host: Host, args: list[str], pid: int | None = None) -> str:
    """Run `ip -json ARGS` on the host, or inside the network namespace of process `pid` there."""
    cmd = ["ip", "-json", *args]
    done = host.run(cmd) if pid is None else host.nsenter(pid, cmd)
    if not done.ok:
        raise CommandFailed(f"`{done.shown}` failed on {host.name}: {done.stderr.strip()}")
    return done.stdout


def json_rows(host: Host, argv: list[str], pid: int | None = None) -> list[dict[str, Any]]:
    """The rows a `… -json` command prints (ip, bridge), run on the host or inside the network namespace
    of process `pid` there; none when it fails or prints no list (a device that is gone, no such tool)."""
    done = host.run(argv) if pid is None else host.nsenter(pid, argv)
    try:
        data = json.loads(done.stdout or "[]") if done.ok else []
    except ValueError:
        return []
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def as_dict(link: Link) -> dict[str, Any]:
    return {
        "ifindex": link.ifindex,
        "name": link.name,
        "state": link.state,
        "mac": link.mac,
        "addresses": [f"{a.local}/{a.prefixlen}" for a in link.addresses],
        "peer_ifindex": link.link_index,
        "master": link.master,
    }


def ipv4_of(host: Host, pid: int, ifname: str) -> str:
    """The first IPv4 address of `ifname` in process `pid`'s network namespace ("" when it has none)."""
    link = {lk.name: lk for lk in parse_links(ip_json(host, ["addr"], pid))}.get(ifname)
    return next((a.local for a in link.addresses if a.family == "inet"), "") if link else ""
