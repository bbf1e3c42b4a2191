"""What a lab's hosts are, on disk: one record per lab (`<state>/labhosts/<lab>.json`), written before
anything is made and removed after everything is gone, so `down` removes exactly what was made."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dockerctl.fabric.switch import Switch, switch_for
from dockerctl.hosts import state


@dataclass
class HostRecord:
    name: str
    kind: str  # local | simulated | remote | vm
    url: str  # the engine's URL
    address: str = ""  # on the lab switch (simulated, vm on the switch; the machine's own for local)
    bip: str = ""  # simulated: its docker0


@dataclass
class LabHosts:
    lab: str
    subnet: str = ""
    hosts: dict[str, HostRecord] = field(default_factory=dict)

    @property
    def switch(self) -> Switch | None:
        return switch_for(self.lab, self.subnet) if self.subnet else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "subnet": self.subnet,
            "hosts": {n: asdict(h) for n, h in self.hosts.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabHosts:
        return cls(
            data["lab"], data.get("subnet", ""), {n: HostRecord(**h) for n, h in data["hosts"].items()}
        )


RECORDS: state.Records[LabHosts] = state.Records(
    "lab hosts record", state.LAB_HOSTS, LabHosts.from_dict, LabHosts.to_dict, lab=str
)


def save(rec: LabHosts) -> None:
    RECORDS.save(rec.lab, rec)


def load(lab: str) -> LabHosts | None:
    """The lab's hosts (None: it has none); CorruptRecord, naming the file, when it cannot be read back."""
    return RECORDS.load(lab)


def forget(lab: str) -> None:
    RECORDS.forget(lab)


def all_records() -> list[LabHosts]:
    """Every lab's hosts that can be read back (one that cannot is left out: `load` says why)."""
    return RECORDS.all()
