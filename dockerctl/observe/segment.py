"""What two containers on one L2 segment across hosts see of each other (seed X12): the remote
container's own MAC in the local one's neighbour table, and what the local host's bridge learned behind
its vxlan port (the remote MAC's `dst`, the flood entries). Read in the containers' and hosts' own
namespaces; judged by the verdicts of the model that makes the segment."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockerctl.hosts import Host
from dockerctl.observe.iproute import FLOOD_MAC, json_rows


@dataclass(frozen=True)
class SegmentView:
    remote_mac: str  # the remote container's eth0 MAC, read in its own namespace
    neighbour_mac: str  # the local container's neighbour entry for the remote address ("" if none)
    learned_dst: str  # where the local bridge's vxlan port sends the remote MAC ("" if not learned)
    flood_dsts: list[str] = field(default_factory=list)  # the port's flood entries (sorted)


def read_segment(
    local: Host, local_pid: int, remote: Host, remote_pid: int, remote_ip: str, port: str
) -> SegmentView:
    """The view from the container `local_pid` (on `local`) of the one `remote_pid` (on `remote`) at
    `remote_ip`, with `port` the local host's vxlan device on the segment's bridge."""
    eth0 = json_rows(remote, ["ip", "-json", "link", "show", "dev", "eth0"], remote_pid)
    mac = str(eth0[0].get("address", "")) if eth0 else ""
    neigh = json_rows(local, ["ip", "-json", "neigh", "show", remote_ip], local_pid)
    seen = next((str(n.get("lladdr", "")) for n in neigh if n.get("dst") == remote_ip), "")
    fdb = json_rows(local, ["bridge", "-json", "fdb", "show", "dev", port])
    learned = next((str(f.get("dst", "")) for f in fdb if f.get("mac") == mac and f.get("dst")), "")
    flood = sorted(str(f.get("dst", "")) for f in fdb if f.get("mac") == FLOOD_MAC)
    return SegmentView(mac, seen, learned, flood)
