"""A playbook's scene marked with what its hosts show now (`graph --live`): each element as asked (green),
differing or missing (red, with what differs), or there but not asked for / not readable (amber);
each network attachment labelled with the addresses the kernel shows inside the container."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path

from dockerctl.engines.engine import Engine
from dockerctl.errors import InvalidInput
from dockerctl.ops.livelab import LabView, LiveContainer, observe_lab
from dockerctl.pictures.scene import Edge, Element, Scene, scene_of
from dockerctl.spec.playbook import load_playbook

ATTACH = ("network:", "default-bridge:")


def _net_of(edge_target: str) -> str:
    """The network an attachment edge goes to, by the name the live view uses."""
    return "bridge" if edge_target.startswith("default-bridge:") else edge_target.split(":", 1)[1]


def _ip(cidr: str) -> str:
    return cidr.split("/")[0]


def live_scene(engine: Engine, path: Path) -> tuple[Scene, dict[str, str]]:
    """The playbook's scene marked with what its lab's hosts show now (the playbook must validate: a
    picture of what is there is compared with what it asks)."""
    scene = scene_of(path)
    if scene.error:
        raise InvalidInput(scene.error.split(": ", 1)[-1], where=scene.error.split(": ", 1)[0],
                           hint="--live compares a lab with a valid playbook; without --live it is drawn as it is")  # fmt: skip
    return scene, mark_live(scene, observe_lab(engine, load_playbook(path)))


def mark_live(scene: Scene, view: LabView) -> dict[str, str]:
    """Mark `scene` in place with `view`; → each element's state (holds / fails / unknown)."""
    states: dict[str, str] = {}
    for h in scene.hosts:
        e = scene.elements[f"host:{h}"]
        if h in view.unreachable:
            e.lines.append("did not answer")
            states[e.id] = "unknown"
        else:
            if view.facts.get(h):
                e.lines.append(view.facts[h])
            states[e.id] = "holds"
    live: dict[str, list[LiveContainer]] = {}  # by name: one per host it is on
    for c in view.containers:
        live.setdefault(c.name, []).append(c)
    edges: list[Edge] = []
    for edge in scene.edges:
        a = scene.elements.get(edge.a)
        if a is None or a.kind != "container" or not edge.b.startswith(ATTACH):
            edges.append(edge)
            continue
        here = _container_on(a, live.get(a.name, []))
        if here is None:
            edges.append(edge)
            continue
        cidrs = here.addresses.get(_net_of(edge.b))
        if cidrs is None:
            _differs(a, f"not on {_net_of(edge.b)}", states)
            edges.append(replace(edge, label="not attached now", style="dotted"))
            continue
        if edge.label and edge.label not in {_ip(c) for c in cidrs}:
            _differs(a, f"ip {edge.label} asked, the kernel shows {', '.join(cidrs) or 'none'}", states)
        edges.append(replace(edge, label=", ".join(cidrs)))
    scene.edges = edges
    for e in list(scene.elements.values()):
        if e.kind == "host":
            continue
        if e.kind == "container":
            _container(e, live.get(e.name, []), view, states)
        elif e.kind == "network" and e.id.startswith("network:"):
            _network(e, view, states)
        elif e.kind == "service":
            _service(e, view, states)
        elif e.kind == "volume":
            on = [h for n, h in view.volumes if n == e.name]
            if not on:
                _differs(e, "missing: on no host", states)
            elif e.host is not None and e.host not in on:
                _differs(e, f"on {', '.join(on)}, not on {e.host}", states)
            else:
                states.setdefault(e.id, "holds")
    _extras(scene, view, states)
    return states


def _container_on(e: Element, live: list[LiveContainer]) -> LiveContainer | None:
    return next((c for c in live if c.host == e.host), None)


def _differs(e: Element, what: str, states: dict[str, str]) -> None:
    e.lines.append(f"≠ {what}")
    states[e.id] = "fails"


def _container(e: Element, live: list[LiveContainer], view: LabView, states: dict[str, str]) -> None:
    if e.host in view.unreachable:
        states[e.id] = "unknown"
        return
    here = _container_on(e, live)
    if here is None:
        where = ", ".join(sorted({c.host for c in live}))
        _differs(e, f"on {where}, not on {e.host}" if where else "missing: on no host", states)
        return
    if here.state != e.asked.get("state", "running"):
        _differs(e, f"{here.state}, not {e.asked.get('state', 'running')}", states)
    states.setdefault(e.id, "holds")


def _network(e: Element, view: LabView, states: dict[str, str]) -> None:
    live = [n for n in view.networks if n.name == e.name]
    if e.host is not None:
        live = [n for n in live if n.host == e.host]
    if not live:
        if e.host in view.unreachable:
            states[e.id] = "unknown"
        else:
            _differs(e, "missing" + (f" on {e.host}" if e.host else ""), states)
        return
    n = live[0]
    e.lines.append(f"now: {', '.join(n.subnets) or 'no subnet'} ({n.model})")
    e.lines += sorted({f"{x.host}: {d}" if len(live) > 1 else d for x in live for d in x.devices})
    asked = e.asked.get("driver", "")
    if asked and n.driver.split(":")[0] != asked:
        _differs(e, f"driver {n.driver}", states)
    subnet = e.asked.get("subnet")
    if subnet and not any(_same_net(subnet, s) for x in live for s in x.subnets):
        _differs(e, f"subnet {subnet} asked", states)
    states.setdefault(e.id, "holds")


def _service(e: Element, view: LabView, states: dict[str, str]) -> None:
    svc = next((x for x in view.services if x.name == e.name), None)
    if svc is None:
        _differs(e, "missing: no such service", states)
        return
    running = sum(svc.tasks.values())
    e.lines.append("tasks now: " + (", ".join(f"{h} ×{n}" for h, n in sorted(svc.tasks.items())) or "none"))
    asked = int(e.asked.get("replicas", "1"))
    if running != asked:
        _differs(e, f"{running} running, {asked} asked", states)
    states.setdefault(e.id, "holds")


def _same_net(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_network(a, strict=False) == ipaddress.ip_network(b, strict=False)
    except ValueError:
        return a == b


def _extras(scene: Scene, view: LabView, states: dict[str, str]) -> None:
    """What the lab's label finds that the playbook does not ask for: drawn, in amber."""
    for c in view.containers:
        eid = f"container:{c.name}"
        if eid not in scene.elements:
            scene.add(Element(eid, "container", c.name, [c.name, "not in the playbook", c.state], c.host,
                              f"engine of {c.host}"))  # fmt: skip
            states[eid] = "unknown"
            for net, cidrs in c.addresses.items():
                target = f"network:{net}" if f"network:{net}" in scene.elements else None
                if target:
                    scene.edges.append(Edge(eid, target, ", ".join(cidrs)))
    for n in view.networks:
        eid = f"network:{n.name}"
        if eid not in scene.elements:
            scene.add(Element(eid, "network", n.name, [n.name, n.driver, "not in the playbook"], n.host,
                              f"engine of {n.host}"))  # fmt: skip
            states[eid] = "unknown"
    for name, host in view.volumes:
        eid = f"volume:{name}"
        if eid not in scene.elements:
            scene.add(Element(eid, "volume", name, [name, "not in the playbook"], host, f"engine of {host}"))
            states[eid] = "unknown"
