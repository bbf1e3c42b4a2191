"""plan() as a table: (playbook, what the engine has) → changes with reasons. Re-planning what was just
applied gives only no-ops."""

from __future__ import annotations

from typing import Any

from dockerctl.apply.plan import ENTRY, Observed, entry_json, plan
from dockerctl.engines.labels import REQUESTED
from dockerctl.spec.playbook import Playbook

PB = {
    "version": 1,
    "name": "t",
    "networks": {"front": {"subnet": "172.31.160.0/24"}},
    "volumes": {"data": {}},
    "containers": {
        "web": {"networks": ["front"], "memory": "64M", "volumes": ["data:/d"]},
        "side": {"network_mode": "container:web"},
    },
}


def _applied(pb: Playbook) -> Observed:
    """What the engine holds right after applying `pb`."""
    obs = Observed()
    obs.volumes["data"] = {"id": "t-data", "labels": {ENTRY: entry_json(pb.volumes["data"])}}
    obs.networks["front"] = {"id": "n1", "labels": {ENTRY: entry_json(pb.networks["front"])}}
    for name, c in pb.containers.items():
        text = entry_json(c)
        import json

        obs.containers[name] = {
            "id": f"id-{name}",
            "state": "running",
            "asked": None,
            "labels": {
                ENTRY: text,
                REQUESTED: json.dumps(c.limits(name).asked(), sort_keys=True, separators=(",", ":")),
            },
        }
    return obs


def _actions(pb: Playbook, obs: Observed) -> dict[tuple[str, str], str]:
    return {(ch.kind, ch.name): ch.action for ch in plan(pb, obs)}


def _pb(**changes: Any) -> Playbook:
    data = {**PB, "containers": {k: dict(v) for k, v in PB["containers"].items()}}  # type: ignore[attr-defined]
    for key, value in changes.items():
        name, field = key.split("__")
        data["containers"][name][field] = value
    return Playbook.model_validate(data)


def test_empty_engine_creates_everything_in_order() -> None:
    changes = plan(_pb(), Observed())
    assert [(c.kind, c.name, c.action) for c in changes] == [
        ("volume", "data", "create"),
        ("network", "front", "create"),
        ("container", "web", "create"),
        ("container", "side", "create"),
    ]


def test_replanning_an_applied_playbook_is_all_noops() -> None:
    pb = _pb()
    assert set(_actions(pb, _applied(pb)).values()) == {"noop"}


def test_a_limit_change_is_an_update_in_place() -> None:
    obs = _applied(_pb())
    changes = {(c.kind, c.name): c for c in plan(_pb(web__memory="128M"), obs)}
    assert changes[("container", "web")].action == "update"
    assert "memory" in changes[("container", "web")].reason
    assert changes[("container", "side")].action == "noop"


def test_other_changes_recreate_and_dependants_follow() -> None:
    obs = _applied(_pb())
    changes = {(c.kind, c.name): c for c in plan(_pb(web__command="sleep 5"), obs)}
    assert (
        changes[("container", "web")].action == "recreate"
        and "command" in changes[("container", "web")].reason
    )
    assert changes[("container", "side")].action == "recreate"
    assert "depends on web" in changes[("container", "side")].reason


def test_device_throttle_changes_recreate() -> None:
    obs = _applied(_pb())
    acts = _actions(_pb(web__device_write_bps={"/dev/vda": "1MB"}), obs)
    assert acts[("container", "web")] == "recreate"


def test_stopped_container_is_recreated_and_removed_entries_go() -> None:
    pb = _pb()
    obs = _applied(pb)
    obs.containers["web"]["state"] = "exited"
    obs.containers["old"] = {"id": "x", "state": "running", "labels": {}, "asked": None}
    obs.volumes["gone"] = {"id": "t-gone", "labels": {}}
    acts = _actions(pb, obs)
    assert acts[("container", "web")] == "recreate"
    assert acts[("container", "old")] == "remove"
    assert acts[("volume", "gone")] == "noop"  # volumes keep their data; `down` removes them


def test_changed_network_and_volume() -> None:
    obs = _applied(_pb())
    data = dict(PB, networks={"front": {"subnet": "172.31.161.0/24"}}, volumes={"data": {"driver": "other"}})
    acts = _actions(Playbook.model_validate(data), obs)
    assert acts[("network", "front")] == "recreate"
    assert acts[("container", "web")] == "recreate"  # its network is recreated
    assert acts[("volume", "data")] == "noop"  # never recreated: data
