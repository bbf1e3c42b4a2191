"""The lab switch: one bridge on this machine that joins a lab's simulated hosts, with lab addresses
from 198.18.0.0/15, and the one forwarding rule it needs.

Once an engine runs, bridged traffic between namespaces is filtered (br_netfilter, FORWARD policy
DROP, measured here): the switch gets `FORWARD -i SW -o SW -j ACCEPT`, tagged with a comment naming
the lab, and removed by that tag. The bridge carries the alias `dockerctl-lab=<lab>`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass

from dockerctl.errors import EngineError, InvalidInput
from dockerctl.fabric.hostlinks import alias
from dockerctl.hosts import Host


@dataclass(frozen=True)
class Switch:
    lab: str
    bridge: str
    subnet: str  # e.g. 198.18.100.0/24

    @property
    def gateway(self) -> str:
        """This machine's address on the switch (CIDR): the subnet's first address."""
        net = ipaddress.ip_network(self.subnet)
        return f"{next(net.hosts())}/{net.prefixlen}"

    @property
    def comment(self) -> str:
        return alias(self.lab)

    def rule(self) -> list[str]:
        return [
            "FORWARD",
            "-i",
            self.bridge,
            "-o",
            self.bridge,
            "-m",
            "comment",
            "--comment",
            self.comment,
            "-j",
            "ACCEPT",
        ]


def switch_for(lab: str, subnet: str) -> Switch:
    return Switch(lab, "dsw-" + hashlib.sha256(lab.encode()).hexdigest()[:8], subnet)


def _ip(machine: Host, *args: str) -> str:
    done = machine.run(["ip", *args])
    if not done.ok:
        raise EngineError(f"`ip {' '.join(args)}` failed on {machine.name}: {done.stderr.strip()}")
    return done.stdout


def overlapping(machine: Host, subnet: str, own_bridge: str) -> list[str]:
    """Addresses on this machine (other than the switch's own) that overlap `subnet`."""
    net = ipaddress.ip_network(subnet)
    out = []
    for link in json.loads(_ip(machine, "-json", "addr") or "[]"):
        if link.get("ifname") == own_bridge:
            continue
        for a in link.get("addr_info") or []:
            if a.get("family") == "inet":
                theirs = ipaddress.ip_network(f"{a['local']}/{a['prefixlen']}", strict=False)
                if theirs.overlaps(net):
                    out.append(f"{a['local']}/{a['prefixlen']} on {link['ifname']}")
    return out


def create_switch(machine: Host, switch: Switch) -> None:
    """The bridge, up, with this machine's address, and the forwarding rule. Idempotent."""
    clash = overlapping(machine, switch.subnet, switch.bridge)
    if clash:
        raise InvalidInput(
            f"the lab switch subnet {switch.subnet} overlaps {', '.join(clash)}: give switch.subnet another "
            "range inside 198.18.0.0/15",
            where="switch.subnet",
        )
    if not machine.exists(f"/sys/class/net/{switch.bridge}"):
        _ip(machine, "link", "add", switch.bridge, "type", "bridge")
        _ip(machine, "link", "set", switch.bridge, "alias", alias(switch.lab))
        _ip(machine, "addr", "add", switch.gateway, "dev", switch.bridge)
        _ip(machine, "link", "set", switch.bridge, "up")
    if not machine.run(["iptables", "-C", *switch.rule()]).ok:
        done = machine.run(["iptables", "-I", *switch.rule()])
        if not done.ok:
            raise EngineError(f"cannot add the lab switch's forwarding rule: {done.stderr.strip()}")


def delete_switch(machine: Host, switch: Switch) -> None:
    """The forwarding rule (every copy) and the bridge, when it is the lab's (by its alias)."""
    for _ in range(10):
        if not machine.run(["iptables", "-D", *switch.rule()]).ok:
            break
    links = json.loads(_ip(machine, "-json", "link") or "[]")
    for link in links:
        if link.get("ifname") == switch.bridge and link.get("ifalias") == alias(switch.lab):
            machine.run(["ip", "link", "del", switch.bridge])
