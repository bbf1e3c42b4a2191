"""Judging one L2 segment across hosts (seed X12) from what observe/segment.py read and a ping's TTL;
and how `doctor` finds weave in a kernel (`DETECTOR`)."""

from __future__ import annotations

from dockerctl.observe.iproute import FLOOD_MAC
from dockerctl.observe.netmodels import ModelFacts
from dockerctl.observe.segment import SegmentView
from dockerctl.verify.netmodels import Agreement, Detector, ModelFinding, kind_of, one, vxlan_of
from dockerctl.verify.verdict import Check, held, reply_ttl

WEAVE_PORT = 6784


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


# -- how `doctor` finds weave in a kernel (a lab host, or a real weave router) ---------------------------
# X12: a bridge `weave` with a vxlan port (UDP 6784) whose FDB floods to every peer.


def _weave(facts: ModelFacts) -> ModelFinding | None:
    bridge = next((lk for lk in facts.links if lk.get("ifname") == "weave" and kind_of(lk) == "bridge"), None)
    if bridge is None:
        return None
    ports = [lk for lk in facts.links if lk.get("master") == "weave"]
    vxlans = [
        lk
        for lk in facts.links
        if kind_of(lk) == "vxlan" and (lk.get("master") == "weave" or vxlan_of(lk).get("port") == WEAVE_PORT)
    ]
    problems: list[str] = []
    evidence: list[str] = [f"bridge weave, MTU {bridge.get('mtu', '?')}, {len(ports)} port(s)"]
    verdict = Agreement.CONSISTENT
    if not vxlans:
        problems.append("no vxlan device on the weave bridge or on UDP 6784: no path to other hosts")
    for v in vxlans:
        name = str(v["ifname"])
        info = vxlan_of(v)
        flood = [f for f in facts.fdb if f.get("ifname") == name and f.get("mac") == FLOOD_MAC]
        learned = [
            f for f in facts.fdb if f.get("ifname") == name and f.get("mac") != FLOOD_MAC and f.get("dst")
        ]
        evidence.append(
            f"{name}: vxlan VNI {info.get('id', '?')} UDP {info.get('port', '?')}; flood to "
            f"{', '.join(str(f.get('dst')) for f in flood) or 'nobody'}; "
            f"{len(learned)} remote MAC(s) learned"
        )
        if v.get("master") == "weave" and not flood:
            problems.append(f"{name} has no flood entry {FLOOD_MAC}: broadcasts (ARP) reach no other host")
        elif v.get("master") != "weave":  # weave's fast datapath: peers live in the OVS datapath
            verdict = Agreement.UNVERIFIED
    detail = f"one L2 segment: bridge weave with {len(vxlans)} vxlan port(s)" + (
        ", encapsulated (overlay)" if vxlans else ""
    )
    return ModelFinding(
        "weave",
        "X12",
        Agreement.INCONSISTENT if problems else verdict,
        "overlay" if vxlans else "underlay",
        detail,
        evidence,
        problems,
    )


DETECTOR = Detector("a bridge named weave", one(_weave), model="weave")
