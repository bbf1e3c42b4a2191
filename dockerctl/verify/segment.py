"""Judging one L2 segment across hosts (seed X12) from what observe/segment.py read and a ping's TTL."""

from __future__ import annotations

from dockerctl.observe.iproute import FLOOD_MAC
from dockerctl.observe.segment import SegmentView
from dockerctl.verify.checks import Check, held, reply_ttl


def one_switch(
    view: SegmentView, ttl: int | None, *, source: str, to: str, to_ip: str, host: str, remote_host: str,
    remote_dst: str, peers: list[str], port: str, evidence: tuple[str, str],
) -> list[Check]:  # fmt: skip
    """No router between them (TTL 64), the remote container's own MAC answered ARP, the local bridge
    learned it behind `port` with the remote host (`remote_dst`) as its dst, and floods to every peer.
    evidence: where `source` and `to` were read (their container names)."""
    a, b = evidence
    fdb = f"bridge -json fdb show dev {port} (in {host}'s namespace)"
    return [
        reply_ttl(to, "X12", ttl, 0, "not decremented (one switch, no router)", f"ping output inside {a}"),
        Check(f"{source}'s neighbour entry for {to_ip}", "X12", f"{view.remote_mac} ({to}'s own eth0 MAC)",
              view.neighbour_mac or "none", held(bool(view.remote_mac) and view.neighbour_mac == view.remote_mac),
              f"ip -json neigh inside {a}; ip link show eth0 inside {b}"),
        Check(f"{host}: {to}'s MAC on the weave bridge", "X12",
              f"learned behind {port} with dst {remote_dst} ({remote_host})", view.learned_dst or "not learned",
              held(view.learned_dst == remote_dst), fdb),
        Check(f"{host}: flood entries", "X12", f"{FLOOD_MAC} to every peer ({', '.join(peers)})",
              ", ".join(view.flood_dsts) or "none", held(view.flood_dsts == peers), fdb),
    ]  # fmt: skip


def resolves(name: str, source: str, address: str, exit_code: int, answer: str, evidence: str) -> Check:
    """`nslookup name` inside `source` answered `address` (X12: names resolve across hosts)."""
    resolved = exit_code == 0 and address in answer.split("Name:", 1)[-1]
    return Check(f"{name} from {source}", "X12", f"{address} (names resolve across hosts)",
                 address if resolved else (answer.strip().splitlines() or ["no answer"])[-1], held(resolved),
                 evidence)  # fmt: skip
