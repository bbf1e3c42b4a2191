"""What a lab's hosts are, on disk: one record per lab under the state directory, written before
anything is made and removed after everything is gone, so `down` removes exactly what was made."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.fabric.switch import Switch, switch_for
from dockerctl.hosts.paths import state_dir, write_json


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


def _dir() -> Path:
    return state_dir() / "labhosts"


def save(rec: LabHosts) -> None:
    write_json(_dir() / f"{rec.lab}.json", rec.to_dict())


def load(lab: str) -> LabHosts | None:
    try:
        data = json.loads((_dir() / f"{lab}.json").read_text())
        return LabHosts(
            data["lab"], data.get("subnet", ""), {n: HostRecord(**h) for n, h in data["hosts"].items()}
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def all_records() -> list[LabHosts]:
    out = []
    for path in sorted(_dir().glob("*.json")) if _dir().is_dir() else []:
        rec = load(path.stem)
        if rec is not None:
            out.append(rec)
    return out
