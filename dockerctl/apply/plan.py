"""Plan: (playbook, what the engine has for this lab) → changes, each with a reason. Pure.

The engine's state comes from one labelled list call per resource kind. A container carries the
canonical JSON of its entry (label io.dockerctl.entry, as every resource of a playbook does) and what was asked for its limits; a changed
limit that the engine can change in place is an update, any other change a recreate. Volumes are
never recreated (their data would go), and resources of the lab that the playbook no longer has are
removed. Re-planning an applied playbook gives only no-ops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from dockerctl.engines.labels import requested_of
from dockerctl.jsonout import Jsonable
from dockerctl.spec.fields import FIELDS
from dockerctl.spec.inputs import LIMIT_FIELDS
from dockerctl.spec.playbook import Playbook
from dockerctl.spec.topology import ContainerEntry

ENTRY = "io.dockerctl.entry"
Action = Literal["create", "noop", "update", "recreate", "remove", "start"]


@dataclass(frozen=True)
class Change(Jsonable):
    JSON = "kind name action reason"

    kind: Literal["volume", "network", "container", "service"]
    name: str  # the playbook's own name
    action: Action
    reason: str


@dataclass
class Observed:
    """The lab's labelled resources on the engine, by the playbook's names."""

    containers: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {labels, state, id}
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)


def entry_json(obj: Any) -> str:
    """Canonical JSON of an entry without its limits (limits are compared on their own)."""
    data = (
        obj.model_dump(mode="json", exclude=set(LIMIT_FIELDS))
        if isinstance(obj, ContainerEntry)
        else obj.model_dump(mode="json")
    )
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _changed_keys(old: str, new: str) -> list[str]:
    try:
        a, b = json.loads(old), json.loads(new)
    except ValueError:
        return ["(unreadable record)"]
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def plan(pb: Playbook, observed: Observed) -> list[Change]:
    changes: list[Change] = []
    for name, v in pb.volumes.items():
        have = observed.volumes.get(name)
        if have is None:
            changes.append(Change("volume", name, "create", "not on the engine"))
        elif have["labels"].get(ENTRY) != entry_json(v):
            changes.append(
                Change(
                    "volume",
                    name,
                    "noop",
                    "changed in the playbook, but a volume is never recreated: "
                    "its data would be lost (dockerctl down first)",
                )
            )
        else:
            changes.append(Change("volume", name, "noop", "up to date"))
    recreated_networks = set()
    for name, n in pb.networks.items():
        have = observed.networks.get(name)
        if have is None:
            changes.append(Change("network", name, "create", "not on the engine"))
        elif have["labels"].get(ENTRY) != entry_json(n):
            recreated_networks.add(name)
            changes.append(
                Change(
                    "network", name, "recreate", "its settings changed; networks cannot be changed in place"
                )
            )
        else:
            changes.append(Change("network", name, "noop", "up to date"))
    for level in pb.order():
        for name in level:
            changes.append(_container_change(pb, name, observed, recreated_networks, changes))
    for name, svc in pb.services.items():
        have = observed.services.get(name)
        if have is None:
            changes.append(Change("service", name, "create", "not on the engine"))
        elif have["labels"].get(ENTRY) != entry_json(svc):
            changes.append(Change("service", name, "recreate", "its settings changed"))
        else:
            changes.append(Change("service", name, "noop", "up to date"))
    present_of: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
        ("service", observed.services, pb.services),
        ("container", observed.containers, pb.containers),
        ("network", observed.networks, pb.networks),
    )
    for kind, present, wanted in present_of:
        for name in sorted(set(present) - set(wanted)):
            changes.append(Change(kind, name, "remove", "no longer in the playbook"))  # type: ignore[arg-type]
    for name in sorted(set(observed.volumes) - set(pb.volumes)):
        changes.append(
            Change(
                "volume",
                name,
                "noop",
                "no longer in the playbook; kept with its data (dockerctl down removes it)",
            )
        )
    return changes


def _container_change(
    pb: Playbook, name: str, observed: Observed, recreated_networks: set[str], so_far: list[Change]
) -> Change:
    c = pb.containers[name]
    have = observed.containers.get(name)
    if have is None:
        return Change("container", name, "create", "not on the engine")
    rebuilt = [
        d
        for d in pb.dependencies(name)
        if any(ch.kind == "container" and ch.name == d and ch.action == "recreate" for ch in so_far)
    ]
    if rebuilt:
        return Change("container", name, "recreate", f"depends on {', '.join(rebuilt)}, which is recreated")
    nets = [n for n in c.networks if n in recreated_networks]
    if nets:
        return Change("container", name, "recreate", f"its network {', '.join(nets)} is recreated")
    new_entry = entry_json(c)
    old_entry = have["labels"].get(ENTRY, "")
    if old_entry != new_entry:
        keys = _changed_keys(old_entry, new_entry)
        return Change("container", name, "recreate", f"changed: {', '.join(keys)} (cannot change in place)")
    asked_now = c.limits(f"containers.{name}").asked()
    recorded = have.get("asked")
    asked_then: dict[str, Any] = recorded if isinstance(recorded, dict) else requested_of(have["labels"])
    if asked_now != asked_then:
        keys = sorted(k for k in set(asked_now) | set(asked_then) if asked_now.get(k) != asked_then.get(k))
        if all(FIELDS[k].in_place and not k.startswith("device_") for k in keys):
            return Change(
                "container", name, "update", f"limits changed: {', '.join(keys)} (changed in place)"
            )
        return Change("container", name, "recreate", f"changed: {', '.join(keys)} (cannot change in place)")
    if not c.create_only and have.get("state") != "running":
        return Change("container", name, "recreate", f"it is {have.get('state')}, not running")
    return Change("container", name, "noop", "up to date")
