"""weave's one switch across hosts (X12), read by observe/segment.py from canned `ip -json` and `bridge
-json` output as this kernel prints it, and judged by netmodels/weave/verdicts.py."""

from __future__ import annotations

import json
from collections.abc import Sequence

from dockerctl.hosts.base import Completed, Host
from dockerctl.netmodels.weave import verdicts as segment
from dockerctl.observe.segment import SegmentView, read_segment
from dockerctl.verify.verdict import Verdict

B_MAC = "02:42:0a:20:00:02"
LINK = [{"ifindex": 7, "ifname": "eth0", "flags": ["BROADCAST", "UP"], "mtu": 1410, "address": B_MAC}]
NEIGH = [{"dst": "10.40.0.2", "dev": "eth0", "lladdr": B_MAC, "state": ["REACHABLE"]}]
FDB = [
    {"mac": "00:00:00:00:00:00", "ifname": "vxw", "dst": "198.18.113.11", "flags": [], "state": "permanent"},
    {"mac": B_MAC, "ifname": "vxw", "dst": "198.18.113.11", "flags": []},
    {"mac": "aa:bb:cc:00:00:01", "ifname": "vxw", "master": "weave", "state": "permanent"},
]


class Canned(Host):
    def __init__(self, answers: dict[str, object]) -> None:
        super().__init__("canned")
        self.answers = answers

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        for word, data in self.answers.items():
            if word in argv:
                return Completed(tuple(argv), 0, json.dumps(data), "")
        return Completed(tuple(argv), 1, "", "unexpected")


def test_the_view_is_read_in_each_namespace() -> None:
    local, remote = Canned({"neigh": NEIGH, "fdb": FDB}), Canned({"link": LINK})
    view = read_segment(local, 11, remote, 22, "10.40.0.2", "vxw")
    assert view == SegmentView(B_MAC, B_MAC, "198.18.113.11", ["198.18.113.11"])


def _judge(view: SegmentView, ttl: int | None) -> list[Verdict]:
    checks = segment.one_switch(
        view, ttl, source="a", to="b", to_ip="10.40.0.2", host="wv1", remote_host="wv2",
        remote_dst="198.18.113.11", peers=["198.18.113.11"], port="vxw", evidence=("lab-a", "lab-b"),
    )  # fmt: skip
    return [c.verdict for c in checks]


def test_one_switch_holds_only_when_every_part_agrees() -> None:
    good = SegmentView(B_MAC, B_MAC, "198.18.113.11", ["198.18.113.11"])
    assert _judge(good, 64) == [Verdict.ENFORCED] * 4
    assert _judge(good, 63)[0] is Verdict.MISMATCH  # a router decremented it
    assert (
        _judge(SegmentView(B_MAC, "02:42:ff:ff:ff:ff", "198.18.113.11", ["198.18.113.11"]), 64)[1]
        is Verdict.MISMATCH
    )
    assert _judge(SegmentView("", "", "198.18.113.11", ["198.18.113.11"]), 64)[1] is Verdict.MISMATCH
    assert _judge(SegmentView(B_MAC, B_MAC, "", ["198.18.113.11"]), 64)[2] is Verdict.MISMATCH  # not learned
    assert _judge(SegmentView(B_MAC, B_MAC, "198.18.113.11", []), 64)[3] is Verdict.MISMATCH  # no flooding
