"""The kinds of lab host, each described once: what a playbook may say of it and where it stands on the
lab switch. The playbook's validation asks these traits instead of comparing kind names; how a kind is
made, reached and torn down is fabric's (fabric/labhosts.py).

- local: this engine itself (at most one); on a switch it is the gateway (.1).
- simulated: a network namespace on this machine with its own dockerd; always on the lab switch; runs the
  per-host daemons of the network models and the storage pool's glusterd.
- remote: an existing engine elsewhere, given by its URL; never on the switch.
- vm: a Debian VM dockerctl boots here (a real cgroup v2 kernel), sized by memory and cpus; on the switch
  when the lab has one (it makes one when given an address).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostKind:
    name: str
    needs_url: bool  # the playbook gives its engine's URL (and nothing else may have one)
    switch_port: str  # "always" | "if-switch" | "never": a port (and address) on the lab switch
    makes_switch: str  # "always" | "if-address" | "never": its presence gives the lab a switch
    sized: bool  # memory and cpus may be given
    lab_daemons: bool  # runs the network models' per-host daemons and the storage pool's glusterd
    this_machine: bool  # it is this machine's own engine (the switch's gateway)

    def on_switch(self, lab_has_switch: bool) -> bool:
        return self.switch_port == "always" or (self.switch_port == "if-switch" and lab_has_switch)

    def gives_switch(self, has_address: bool) -> bool:
        return self.makes_switch == "always" or (self.makes_switch == "if-address" and has_address)


KINDS: dict[str, HostKind] = {
    k.name: k
    for k in (
        HostKind("local", False, "never", "never", False, False, True),
        HostKind("simulated", False, "always", "always", False, True, False),
        HostKind("remote", True, "never", "never", False, False, False),
        HostKind("vm", False, "if-switch", "if-address", True, False, False),
    )
}


def kind(name: str) -> HostKind:
    return KINDS[name]
