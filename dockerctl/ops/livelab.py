"""What a lab that is up looks like now, host by host (`graph --live`): its containers, networks and
volumes as each host's engine lists them (by the lab's label), and every container's addresses as the
kernel shows them inside its network namespace — the readers of `net cnm` (seed X2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import NODE_LABEL, owned_filter
from dockerctl.errors import DockerctlError, NotFound
from dockerctl.fabric import labhosts
from dockerctl.ops.cnm import view_of
from dockerctl.ops.lifecycle import reconnect
from dockerctl.spec.playbook import Playbook


@dataclass
class LiveContainer:
    name: str  # its name in the playbook (the lab's prefix taken off), else the engine's
    host: str
    state: str  # running, exited, created …
    addresses: dict[str, list[str]] = field(default_factory=dict)  # network → CIDRs read in its netns


@dataclass
class LiveNetwork:
    name: str
    host: str
    driver: str
    subnets: list[str]
    model: str  # overlay (an encapsulation device carries it) or underlay, from the kernel (X14)
    devices: list[str] = field(default_factory=list)  # the encapsulation devices: "vxlan0: vxlan, VNI 4097"


@dataclass
class LiveService:
    name: str
    tasks: dict[str, int]  # lab host → running tasks there (by the node label dockerctl gives each host)


@dataclass
class LabView:
    lab: str
    hosts: list[str]  # the hosts whose engines answered
    containers: list[LiveContainer] = field(default_factory=list)
    networks: list[LiveNetwork] = field(default_factory=list)
    volumes: list[tuple[str, str]] = field(default_factory=list)  # (name, host)
    services: list[LiveService] = field(default_factory=list)
    facts: dict[str, str] = field(
        default_factory=dict
    )  # host → "kernel 6.1.0-…, cgroup v2" (its engine says)
    unreachable: list[str] = field(default_factory=list)  # hosts of the playbook whose engine did not answer


def _short(lab: str, name: str) -> str:
    return name[len(lab) + 1 :] if name.startswith(lab + "-") else name


def observe_lab(engine: Engine, pb: Playbook) -> LabView:
    """The lab `pb` as its hosts show it now; NotFound when nothing of it is up anywhere."""
    order = list(pb.hosts) or ["local"]
    if pb.hosts:
        up = labhosts.load(pb.name)
        engines = reconnect(up, engine) if up else {}
    else:
        engines = {"local": engine}
    view = LabView(
        pb.name, [h for h in order if h in engines], unreachable=[h for h in order if h not in engines]
    )
    try:
        for host in view.hosts:
            _observe_host(view, host, engines[host], pb)
        if pb.services and pb.manager in engines:
            _observe_services(view, engines[pb.manager], pb)
    finally:
        labhosts.close_engines(engines.values(), engine)
    if not (view.containers or view.networks or view.volumes or view.services):
        raise NotFound(
            f"nothing of lab {pb.name} is up on its hosts",
            where="FILE",
            hint=f"`dockerctl play {pb.where('name').split(':')[0]} --keep` brings it up; without --live the "
            "picture is of the playbook",
        )
    return view


def _observe_host(view: LabView, host: str, e: Engine, pb: Playbook) -> None:
    lab = pb.name
    mine = owned_filter(lab)
    info = engine_call(e.client.info, what=f"ask the engine of {host}")
    view.facts[host] = f"kernel {info.get('KernelVersion', '?')}, cgroup v{info.get('CgroupVersion') or '1'}"
    # one list call: its summaries carry the names, states, labels and networks used here (no inspect)
    listed = engine_call(e.client.api.containers, all=True, filters=mine, what=f"list lab {lab} on {host}")
    # a service's task containers are its tasks (counted per host by the manager), not the lab's own
    containers = [c for c in listed if "com.docker.swarm.task.id" not in (c.get("Labels") or {})]
    by_name = {
        (name := str((c.get("Names") or ["?"])[0]).lstrip("/")): LiveContainer(
            _short(lab, name), host, str(c.get("State"))
        )
        for c in containers
    }
    view.containers += by_name.values()
    nets = engine_call(e.client.networks.list, filters=mine, what=f"list lab {lab}'s networks on {host}")
    names = {str(n.name) for n in nets}
    if any("bridge" in ((c.get("NetworkSettings") or {}).get("Networks") or {}) for c in containers):
        names.add("bridge")  # the engine's default bridge, where lab containers are on it
    for name in sorted(names):
        try:
            net = engine_call(e.client.networks.get, name, what=f"inspect network {name} on {host}")
            seen = view_of(host, e, net)
        except DockerctlError:
            continue
        if name != "bridge":
            devices = [d.split(", in the ")[0] for d in seen.carried_by]
            view.networks.append(
                LiveNetwork(_short(lab, name), host, seen.driver, seen.subnets, seen.model, devices)
            )
        for ep in seen.endpoints:
            if ep.container in by_name:
                by_name[ep.container].addresses[_short(lab, name)] = ep.addresses
    vols = engine_call(e.client.volumes.list, filters=mine, what=f"list lab {lab}'s volumes on {host}")
    view.volumes += [(_short(lab, str(v.name)), host) for v in vols]


def _observe_services(view: LabView, manager: Engine, pb: Playbook) -> None:
    """Each service's running tasks per lab host, as the swarm manager places them."""
    services = engine_call(
        manager.client.services.list, filters=owned_filter(pb.name), what="list the services"
    )
    for svc in services:
        tasks: dict[str, int] = {}
        for task in svc.tasks(filters={"desired-state": "running"}):
            if (task.get("Status") or {}).get("State") != "running":
                continue
            node = engine_call(manager.client.nodes.get, task["NodeID"], what="find a task's node")
            host = ((node.attrs.get("Spec") or {}).get("Labels") or {}).get(NODE_LABEL) or task["NodeID"][:12]
            tasks[host] = tasks.get(host, 0) + 1
        view.services.append(LiveService(_short(pb.name, str(svc.name)), tasks))
