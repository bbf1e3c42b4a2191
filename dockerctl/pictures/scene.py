"""What a playbook asks, as a picture's elements: hosts, the lab switch, networks, containers, volumes,
services and the edges between them — each with the FILE:LINE of its key.

Read from the playbook's YAML as written (with the line of every key), so a playbook that does not
validate is still drawn: what can be read is, and the element its error names is marked. A valid
playbook adds what validation knows (the switch addresses the lab will give).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.errors import InvalidInput
from dockerctl.netmodels.base import models
from dockerctl.spec.host_kinds import KINDS as HOST_KINDS
from dockerctl.spec.playbook import Playbook, load_playbook
from dockerctl.spec.yamlpos import line_of, load_with_lines

KINDS = ("hosts", "networks", "containers", "volumes", "services")
GLUSTER = "dockerctl-gluster"
LIMIT_KEYS = (
    ("memory", "memory"),
    ("memory_swap", "memory+swap"),
    ("cpus", "cpus"),
    ("cpu_shares", "cpu-shares"),
    ("cpuset_cpus", "cpuset"),
    ("pids_limit", "pids"),
    ("blkio_weight", "blkio-weight"),
    ("limit_memory", "limit-memory"),
    ("limit_cpu", "limit-cpu"),
    ("reserve_memory", "reserve-memory"),
    ("reserve_cpu", "reserve-cpu"),
)
_ERROR_KEY = re.compile(r"^(hosts|networks|containers|volumes|services)\.([^.:\s]+)")


@dataclass
class Element:
    id: str  # "container:web", "network:front", "host:h1", "switch", "pool"
    kind: str  # host | switch | network | container | volume | service | pool
    name: str
    lines: list[str]  # the label: name first, then facts
    host: str | None  # the host cluster it is drawn in (None: across hosts)
    where: str  # FILE:LINE of its key
    error: str = ""  # the validation error that names it
    asked: dict[str, str] = field(
        default_factory=dict
    )  # what the playbook asks of it (driver, subnet, state)


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    label: str = ""
    style: str = "solid"  # dashed: shares a namespace or another container's volumes


@dataclass
class Scene:
    source: str
    name: str
    hosts: list[str]  # in the playbook's order (one implicit "local" when it names none)
    elements: dict[str, Element] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    error: str = ""  # the playbook's validation error, FILE:LINE first
    models: list[str] = field(default_factory=list)  # the network models' sections it has

    def add(self, e: Element) -> None:
        self.elements[e.id] = e


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    got = data.get(key)
    return {str(k): v if isinstance(v, dict) else {} for k, v in got.items()} if isinstance(got, dict) else {}


def _limits(entry: dict[str, Any]) -> str:
    return ", ".join(f"{shown} {entry[k]}" for k, shown in LIMIT_KEYS if entry.get(k) is not None)


def scene_of(path: Path) -> Scene:
    """The playbook at `path` as a scene; its validation error (if any) recorded and marked, never raised
    — but a file that cannot be read at all is an InvalidInput."""
    pb: Playbook | None = None
    error = ""
    try:
        pb = load_playbook(path)
    except InvalidInput as exc:
        if exc.where == "FILE":  # not readable at all: nothing to draw
            raise
        error = str(exc)
    text = path.read_text(errors="replace")
    try:
        data, lines = load_with_lines(text, str(path))
    except InvalidInput:
        data, lines = {}, {}
    if not isinstance(data, dict):
        data = {}
    return build(data, lines, str(path), pb, error)


def build(data: dict[str, Any], lines: dict[Any, int], source: str, pb: Playbook | None, error: str) -> Scene:
    def where(*key: str) -> str:
        return f"{source}:{line_of(lines, tuple(key)) or 1}"

    hosts = _section(data, "hosts")
    order = list(hosts) or ["local"]
    first = order[0]
    scene = Scene(source, str(data.get("name") or Path(source).stem), order, error=error)
    scene.models = [m.name for m in models().values() if data.get(m.name) is not None]
    addresses = pb.switch_addresses() if pb is not None else {}
    for name in order:
        entry = hosts.get(name, {})
        kind = str(entry.get("kind") or ("local" if not hosts else "simulated"))
        facts = [f"{kind} host" if hosts else "this engine"]
        if name in addresses:
            facts.append(addresses[name])
        if entry.get("url"):
            facts.append(str(entry["url"]))
        if kind in HOST_KINDS and HOST_KINDS[kind].sized:
            facts.append(f"{entry.get('cpus') or 2} CPU, {entry.get('memory') or 2048} MB, cgroup v2")
        scene.add(Element(f"host:{name}", "host", name, [name, *facts], name, where("hosts", name)))
    on_switch = (
        list(addresses)
        if pb is not None
        else [
            n
            for n in hosts
            if HOST_KINDS.get(str(hosts[n].get("kind") or "simulated"), HOST_KINDS["remote"]).on_switch(False)
        ]
    )
    if on_switch:
        subnet = pb.switch.subnet if pb is not None else str(_section(data, "switch").get("subnet") or "")
        scene.add(Element("switch", "switch", "lab switch", ["lab switch", subnet], None, where("switch")))
        for h in on_switch:
            scene.edges.append(Edge("switch", f"host:{h}", addresses.get(h, "")))

    def host_of(entry: dict[str, Any]) -> str:
        h = entry.get("host")
        return str(h) if isinstance(h, str) and h in order else first

    for name, n in _section(data, "networks").items():
        driver = str(n.get("driver") or "bridge")
        facts = [driver, *(str(n[k]) for k in ("subnet", "ip_range") if n.get(k))]
        if n.get("internal"):
            facts.append("internal")
        across = driver == "overlay"
        asked = {"driver": driver, **({"subnet": str(n["subnet"])} if n.get("subnet") else {})}
        scene.add(Element(f"network:{name}", "network", name, [name, *facts], None if across else host_of(n),
                          where("networks", name), asked=asked))  # fmt: skip
    storage = data.get("storage") if isinstance(data.get("storage"), dict) else None
    if storage is not None:
        pool_hosts = [str(h) for h in storage.get("hosts") or [] if str(h) in order]
        scene.add(Element("pool", "pool", "GlusterFS pool", ["GlusterFS pool", "replica on " + ", ".join(pool_hosts)],
                          None, where("storage")))  # fmt: skip
        for h in pool_hosts:
            scene.edges.append(Edge("pool", f"host:{h}", "bricks"))
    for name, v in _section(data, "volumes").items():
        driver = str(v.get("driver") or "local")
        opts = ", ".join(f"{k}={val}" for k, val in (v.get("options") or {}).items())
        on_pool = driver == GLUSTER
        scene.add(Element(f"volume:{name}", "volume", name, [name, driver, *([opts] if opts else [])],
                          None if on_pool else host_of(v), where("volumes", name), asked={"driver": driver}))  # fmt: skip
        if on_pool and "pool" in scene.elements:
            scene.edges.append(Edge(f"volume:{name}", "pool", style="dashed"))
    containers = _section(data, "containers")
    for name, c in containers.items():
        facts = [x for x in (_limits(c), "created only" if c.get("create_only") else "") if x]
        image = str(c.get("image") or "")
        if image and image != "dockerctl/base:latest":
            facts.insert(0, image)
        state = "created" if c.get("create_only") else "running"
        scene.add(Element(f"container:{name}", "container", name, [name, *facts], host_of(c),
                          where("containers", name), asked={"state": state}))  # fmt: skip
    for name, c in containers.items():
        me = f"container:{name}"
        mode = str(c.get("network_mode") or "")
        nets = [str(n) for n in c.get("networks") or []] or ([] if mode else ["bridge"])
        for i, net in enumerate(nets):
            ip = str(c["ip"]) if c.get("ip") and i == 0 else ""
            if net == "bridge":  # the engine's default bridge on the container's host
                bridge = f"default-bridge:{host_of(c)}"
                if bridge not in scene.elements:
                    scene.add(Element(bridge, "network", "bridge", ["bridge", "the engine's default"], host_of(c),
                                      scene.elements[f"host:{host_of(c)}"].where))  # fmt: skip
                scene.edges.append(Edge(me, bridge, ip))
            elif f"network:{net}" in scene.elements:
                scene.edges.append(Edge(me, f"network:{net}", ip))
        if mode == "host":
            scene.edges.append(Edge(me, f"host:{host_of(c)}", "host network", "dashed"))
        elif mode.startswith("container:") and f"container:{mode[10:]}" in scene.elements:
            scene.edges.append(Edge(me, f"container:{mode[10:]}", "shares its netns", "dashed"))
        for spec in c.get("volumes") or []:
            vol, _, rest = str(spec).partition(":")
            if f"volume:{vol}" in scene.elements:
                scene.edges.append(Edge(me, f"volume:{vol}", rest))
        for other in c.get("volumes_from") or []:
            src, _, mode_ = str(other).partition(":")
            if f"container:{src}" in scene.elements:
                scene.edges.append(Edge(me, f"container:{src}", f"volumes-from{' ' + mode_ if mode_ else ''}",
                                        "dashed"))  # fmt: skip
    for name, s in _section(data, "services").items():
        facts = [f"{s.get('replicas', 1)} replica(s)", *([_limits(s)] if _limits(s) else [])]
        if s.get("host"):
            facts.append(f"on {s['host']}")
        scene.add(Element(f"service:{name}", "service", name, [name, "swarm service", *facts], None,
                          where("services", name), asked={"replicas": str(s.get("replicas", 1))}))  # fmt: skip
        for net in s.get("networks") or []:
            if f"network:{net}" in scene.elements:
                scene.edges.append(Edge(f"service:{name}", f"network:{net}"))
    _mark(scene, error)
    return scene


def _mark(scene: Scene, error: str) -> None:
    """Put the validation error on the element its key names (`FILE:LINE: containers.web.memory: …`)."""
    if not error:
        return
    message = error.split(": ", 1)[1] if ": " in error else error
    m = _ERROR_KEY.match(message)
    if m:
        kind = {"hosts": "host", "networks": "network", "containers": "container", "volumes": "volume",
                "services": "service"}[m.group(1)]  # fmt: skip
        target = scene.elements.get(f"{kind}:{m.group(2)}")
        if target is not None:
            target.error = error


def elements_of(expectation: Any, scene: Scene) -> list[str]:
    """The scene's elements an expectation names (its containers, networks, volumes, hosts, service),
    read from the values of its body — no list per kind of expectation to keep up."""
    body = getattr(expectation, expectation.kind)
    values: list[str] = []
    for name in type(body).model_fields:
        v = getattr(body, name)
        values += (
            [v] if isinstance(v, str) else [x for x in v if isinstance(x, str)] if isinstance(v, list) else []
        )
    out = []
    for v in values:
        for kind in ("container", "network", "volume", "host", "service"):
            if f"{kind}:{v}" in scene.elements:
                out.append(f"{kind}:{v}")
    return out
