"""A playbook's expectations: one registry, kind → handler, each turning an expectation into Checks by
reading the kernel on the lab's engine host or by sending traffic. Handlers call the one home of each
check (`dockerctl.checks`); none reads or judges on its own.

Every check carries the seed claim the expectation cites. The evidence is what was read or run.
"""

from __future__ import annotations

import ipaddress
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from docker.models.containers import Container

from dockerctl.checks import mounts, namespaces, traffic
from dockerctl.checks.limits import asked_of, check_given_limits
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import NODE_LABEL
from dockerctl.observe.devices import device_of_directory
from dockerctl.observe.iproute import ip_json, parse_links
from dockerctl.observe.netns_probe import tcp_connect
from dockerctl.observe.overlay import OverlayNamespace, exec_roots_of, link_kind, namespace_path, read_overlay
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import REGISTRY, Context, _v, handles
from dockerctl.spec.fields import THROTTLE_KINDS
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.models import Limits
from dockerctl.spec.mounts import MountSpec
from dockerctl.spec.playbook import KINDS, Expectation, Playbook
from dockerctl.spec.units import parse_size
from dockerctl.verify.checks import Check, Verdict


@handles("limits")
def _limits(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    return [
        replace(ch, subject=f"{c.name}: {ch.subject}")
        for ch in check_given_limits(ctx.engine_of(body.container), c, dict(body.model_extra or {}))
    ]


@handles("oom")
def _oom(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    limits, _ = asked_of(c)
    size = parse_size(body.allocate, field="allocate")
    done = ctx.twins_on(ctx.playbook.host_of(ctx.playbook.containers[body.container])).run(
        limits, ["dd", "if=/dev/zero", "of=/dev/null", f"bs={size}", "count=1"]
    )
    killed = done.oom_killed or done.exit_code == 137
    return [
        Check(
            f"twin of {c.name} allocates {body.allocate}",
            "R1",
            "OOM-killed" if body.killed else "survives",
            f"exit {done.exit_code}, OOMKilled {str(done.oom_killed).lower()}",
            _v(killed == body.killed),
            f"dd bs={size} count=1 in a twin with {c.name}'s limits",
        )
    ]


@handles("namespaces")
def _namespaces(body: Any, ctx: Context) -> list[Check]:
    if ctx.engine_of(body.a).name != ctx.engine_of(body.b).name:
        raise ValueError(f"{body.a} and {body.b} run on different hosts: namespaces compare on one kernel")
    return namespaces.compare(
        ctx.engine_of(body.a).host, ctx[body.a], ctx[body.b], shared=body.shared, private=body.private
    )


def _traffic(body: Any, ctx: Context, want: bool) -> list[Check]:
    a = ctx[body.source]
    port = f" port {body.port}" if body.port else ""
    if body.address is not None:
        found = traffic.reach_address(a, body.address, port=body.port)
        return [found.check(want, "C1", f"{body.source} → {body.address}{port}")]
    if body.by == "gwbridge":  # the target's address on docker_gwbridge, read in its namespace (X6)
        b, engine = ctx[body.to], ctx.engine_of(body.to)
        pid = int((b.attrs.get("State") or {}).get("Pid") or 0)
        eth1 = {link.name: link for link in parse_links(ip_json(engine.host, ["addr"], pid))}.get("eth1")
        address = next((x.local for x in eth1.addresses if x.family == "inet"), "") if eth1 else ""
        if not address:
            raise ValueError(f"{body.to} has no eth1 on docker_gwbridge")
        found = traffic.reach_address(a, address, port=body.port)
        return [
            found.check(want, "X6", f"{body.source} → {body.to}'s docker_gwbridge address {address}{port}")
        ]
    # by name: the lab's own name, the alias on the lab's networks
    found = traffic.reach(a, ctx[body.to], by=body.by, port=body.port, names=[body.to])
    return [found.check(want, "C1", f"{body.source} → {body.to} by {body.by}{port}")]


@handles("reachable")
def _reachable(body: Any, ctx: Context) -> list[Check]:
    return _traffic(body, ctx, True)


@handles("isolated")
def _isolated(body: Any, ctx: Context) -> list[Check]:
    return _traffic(body, ctx, False)


@handles("dns")
def _dns(body: Any, ctx: Context) -> list[Check]:
    return [traffic.check_dns(ctx[body.source], body.name, resolves=body.resolves)]


@handles("nat")
def _nat(body: Any, ctx: Context) -> list[Check]:
    from dockerctl.prove.network import prove_outbound_nat

    network = None
    if body.container:
        nets = list(addresses(ctx[body.container]))
        network = nets[0] if nets else None
    return [prove_outbound_nat(ctx.twins, network=network)]


@handles("published")
def _published(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    ports = ((c.attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{body.port}/tcp") or []
    if not ports:
        return [
            Check(
                f"{c.name} port {body.port}",
                "O2",
                "published",
                "not published",
                Verdict.MISMATCH,
                "NetworkSettings.Ports",
            )
        ]
    host_port = int(ports[0]["HostPort"])
    host_ip = ports[0].get("HostIp") or "127.0.0.1"
    host_ip = "127.0.0.1" if host_ip in ("0.0.0.0", "") else host_ip
    host = ctx.engine_of(body.container).host  # the port is published on the container's own host
    ok, observed, command = tcp_connect(host, host_ip, host_port)
    return [
        Check(
            f"{host_ip}:{host_port} → {c.name}:{body.port}",
            "O2",
            "answers from the host",
            observed,
            _v(ok),
            command,
        )
    ]


@handles("mount")
def _mount(body: Any, ctx: Context) -> list[Check]:
    return [
        mounts.check_mount(
            ctx.engine_of(body.container).host,
            ctx[body.container],
            body.path,
            read_only=body.read_only,
            fstype=body.fstype,
        )
    ]


@handles("file")
def _file(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    result = c.exec_run(["cat", body.path])
    text = result.output.decode(errors="replace")
    ok = result.exit_code == 0 and body.contains in text
    if result.exit_code != 0:
        observed = f"unreadable: {text.strip()[:80]}"
    elif ok:
        observed = f"contains {body.contains!r}"
    else:
        observed = f"does not contain it; starts {text.strip()[:60]!r}"
    return [
        Check(
            f"{c.name}:{body.path}",
            "S3",
            f"contains {body.contains!r}",
            observed,
            _v(ok),
            f"cat {body.path} inside {c.name}",
        )
    ]


@handles("cpu_ratio")
def _cpu_ratio(body: Any, ctx: Context) -> list[Check]:
    from dockerctl.prove.cpu import prove_cpu

    a, b = body.shares
    return prove_cpu(ctx.twins, a, b, seconds=body.seconds, tolerance=body.tolerance)


@handles("device_rate")
def _device_rate(body: Any, ctx: Context) -> list[Check]:
    from dockerctl.prove.io import prove_io

    root = engine_call(ctx.engine.client.info, what="read the engine info").get(
        "DockerRootDir", "/var/lib/docker"
    )
    device = body.device or device_of_directory(ctx.engine.host, root)
    if device is None:
        return [
            Check(
                "device rate",
                "R6",
                "a throttled disk",
                "no block device under the engine's data root",
                Verdict.UNKNOWN,
                "DockerRootDir",
            )
        ]
    wanted = {
        kind: {device: v}
        for kind in THROTTLE_KINDS
        if (v := getattr(body, kind.removeprefix("device_"))) is not None
    }
    return prove_io(ctx.twins, Limits(**limit_fields(wanted)), tolerance=body.tolerance)


@handles("survives")
def _survives(body: Any, ctx: Context) -> list[Check]:
    mount = (MountSpec(kind="volume", source=f"{ctx.playbook.name}-{body.volume}", target="/m"),)
    target = f"/m/{body.path.lstrip('/')}"
    twins = ctx.twins_on(ctx.playbook.host_of(ctx.playbook.volumes[body.volume]))
    writer = twins.start(Limits(), ["sh", "-c", f"echo '{body.contains}' > {target}"], mounts=mount)
    writer.wait(timeout=30)
    writer.remove(force=True)  # the container is gone …
    done = twins.run(Limits(), ["cat", target], mounts=mount)  # … a new one reads what it wrote
    ok = done.exit_code == 0 and body.contains in done.output
    return [
        Check(
            f"volume {body.volume} after its writer was removed",
            "S3",
            f"still holds {body.contains!r}",
            repr(done.output.strip()[:80]),
            _v(ok),
            f"write in one container, remove it, cat {target} in another",
        )
    ]


@handles("rm_volumes")
def _rm_volumes(body: Any, ctx: Context) -> list[Check]:
    named = f"{ctx.playbook.name}-{body.volume}"
    host = ctx.playbook.host_of(ctx.playbook.volumes[body.volume])
    twin = ctx.twins_on(host).start(
        Limits(),
        ["sleep", "30"],
        mounts=(
            MountSpec(kind="volume", source=named, target="/named"),
            MountSpec(kind="anonymous", source=None, target="/anon"),
        ),
    )
    anon = next(m["Name"] for m in twin.attrs["Mounts"] if m["Destination"] == "/anon")
    twin.remove(force=True, v=True)  # docker rm -v
    names = {v.name for v in ctx.engines[host].client.volumes.list()}
    return [
        Check(
            "rm -v: the anonymous volume",
            "S9",
            "removed with the container",
            "gone" if anon not in names else "still there",
            _v(anon not in names),
            f"volume {anon[:12]}… after rm -v",
        ),
        Check(
            f"rm -v: the named volume {body.volume}",
            "S9",
            "kept",
            "kept" if named in names else "gone",
            _v(named in names),
            f"volume {named} after rm -v",
        ),
    ]


def _network_attrs(ctx: Context, network: str) -> dict[str, Any]:
    """The overlay network as the swarm manager sees it (id, IPAM)."""
    client = ctx.engines[ctx.playbook.manager].client
    found = engine_call(client.networks.get, f"{ctx.playbook.name}-{network}", what=f"find network {network}")
    return dict(found.attrs)


def _subnet(attrs: dict[str, Any]) -> str:
    return next((c["Subnet"] for c in (attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")), "")


def _in(ip: str, subnet: str) -> bool:
    return bool(subnet) and ipaddress.ip_address(ip) in ipaddress.ip_network(subnet, strict=False)


@handles("interfaces")
def _interfaces(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    engine = ctx.engine_of(body.container)
    overlay = _subnet(_network_attrs(ctx, body.network))
    gw = engine_call(engine.client.networks.get, "docker_gwbridge", what="find docker_gwbridge")
    gw_subnet = _subnet(gw.attrs)
    pid = int((c.attrs.get("State") or {}).get("Pid") or 0)
    links = {link.name: link for link in parse_links(ip_json(engine.host, ["addr"], pid))}
    checks = []
    for dev, subnet, what in (
        ("eth0", overlay, f"overlay {body.network}"),
        ("eth1", gw_subnet, "docker_gwbridge"),
    ):
        addrs = [a.local for a in links[dev].addresses if a.family == "inet"] if dev in links else []
        ok = any(_in(a, subnet) for a in addrs)
        checks.append(
            Check(
                f"{c.name} {dev}",
                "X4",
                f"on {what} ({subnet})",
                ", ".join(addrs) or "no such interface",
                _v(ok),
                f"ip -json addr in the net namespace of pid {pid} on {engine.host.name}",
            )
        )
    return checks


@handles("vxlan")
def _vxlan(body: Any, ctx: Context) -> list[Check]:
    pb = ctx.playbook
    net_id = str(_network_attrs(ctx, body.network)["Id"])
    ends = {body.source: ctx.engine_of(body.source), body.to: ctx.engine_of(body.to)}
    hosts = {name: pb.host_of(pb.containers[name]) for name in ends}
    addresses = pb.lab_addresses()

    def read_all() -> dict[str, OverlayNamespace | str]:
        out: dict[str, OverlayNamespace | str] = {}
        for name, engine in ends.items():
            path = namespace_path(engine.host, net_id, exec_roots_of(hosts[name]))
            out[name] = (
                read_overlay(engine.host, path)
                if path
                else f"no namespace 1-{net_id[:10]} under {', '.join(exec_roots_of(hosts[name]))}"
            )
        return out

    before = read_all()
    traffic.reach(ctx[body.source], ctx[body.to], by="ip", count=5)
    after = read_all()
    checks = []
    for name, other in ((body.source, body.to), (body.to, body.source)):
        host, peer = hosts[name], hosts[other]
        ns, ns0 = after[name], before[name]
        if isinstance(ns, str) or isinstance(ns0, str):
            checks.append(
                Check(
                    f"overlay namespace on {host}", "X5", "br0 + vxlan0", "missing", Verdict.MISMATCH, str(ns)
                )
            )
            continue
        vx = next((v for v in ns.vxlans if v.name.startswith("vxlan")), None)
        vx0 = next((v for v in ns0.vxlans if v.name.startswith("vxlan")), None)
        where = f"{ns.path} on {host}"
        checks.append(
            Check(
                f"overlay namespace on {host}",
                "X5",
                "br0 and vxlan0 (its port)",
                f"bridges {ns.bridges}, vxlan {[(v.name, v.vni, v.master) for v in ns.vxlans]}",
                _v("br0" in ns.bridges and vx is not None and vx.master == "br0"),
                f"ip -d link in {where}",
            )
        )
        want = addresses.get(peer, "")
        checks.append(
            Check(
                f"vxlan FDB on {host}",
                "X5",
                f"points at {peer}'s lab address {want}",
                ", ".join(ns.fdb_remotes) or "no remote entries",
                _v(bool(want) and want in ns.fdb_remotes),
                f"bridge fdb show dev vxlan0 in {where}",
            )
        )
        grew = (
            vx is not None
            and vx0 is not None
            and vx.tx_packets > vx0.tx_packets
            and vx.rx_packets > vx0.rx_packets
        )
        checks.append(
            Check(
                f"vxlan counters on {host}",
                "X5",
                "tx and rx grow with the traffic",
                f"tx {vx0.tx_packets if vx0 else '?'}→{vx.tx_packets if vx else '?'}, "
                f"rx {vx0.rx_packets if vx0 else '?'}→{vx.rx_packets if vx else '?'}",
                _v(grew),
                f"ip -s link of vxlan0 in {where}, around 5 pings {body.source} → {body.to}",
            )
        )
    return checks


@handles("overlay_subnets")
def _overlay_subnets(body: Any, ctx: Context) -> list[Check]:
    subnets = [_subnet(_network_attrs(ctx, n)) for n in body.networks]
    thirds = []
    for s in subnets:
        net = ipaddress.ip_network(s) if s else None
        ok = net is not None and net.prefixlen == 24 and str(net).startswith("10.0.")
        thirds.append(int(str(net.network_address).split(".")[2]) if ok and net else -1)
    in_order = all(t >= 0 for t in thirds) and thirds == sorted(thirds) and len(set(thirds)) == len(thirds)
    return [
        Check(
            f"default subnets of {', '.join(body.networks)}",
            "X6",
            "10.0.X.0/24, X rising in the order they were made",
            ", ".join(subnets),
            _v(in_order),
            "IPAM.Config of each network on the swarm manager",
        )
    ]


@handles("direct")
def _direct(body: Any, ctx: Context) -> list[Check]:
    a, b = ctx[body.source], ctx[body.to]
    host = ctx.engine_of(body.source).host
    pid = int((a.attrs.get("State") or {}).get("Pid") or 0)
    kind = link_kind(host, pid, "eth0")
    found = traffic.reach(a, b, by="ip")
    ttl = traffic.reply_ttl(found)
    return [
        Check(f"{a.name} eth0", "X7", "a macvlan device (no veth, no bridge)", kind or "?", _v(kind == "macvlan"),
              f"ip -d link show eth0 in pid {pid}'s namespace on {host.name}"),
        found.check(True, "X8", f"{body.source} → {body.to} directly"),
        Check(f"TTL of {body.to}'s reply", "X8", "64: not decremented (no router between)", str(ttl), _v(ttl == 64),
              f"ping output inside {a.name}"),
    ]  # fmt: skip


@handles("service_limits")
def _service_limits(body: Any, ctx: Context) -> list[Check]:
    pb = ctx.playbook
    manager = ctx.engines[pb.manager].client
    svc = engine_call(manager.services.get, f"{pb.name}-{body.service}", what=f"find service {body.service}")
    given = dict(body.model_extra or {})
    checks: list[Check] = []
    landed: list[str] = []
    for task in svc.tasks(filters={"desired-state": "running"}):
        node = engine_call(manager.nodes.get, task["NodeID"], what="find a task's node")
        host = ((node.attrs.get("Spec") or {}).get("Labels") or {}).get(NODE_LABEL, "")
        cid = ((task.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID", "")
        slot = f"{body.service}.{task.get('Slot', '?')}"
        if host not in ctx.engines or not cid:
            checks.append(Check(f"{slot}", "-", "a task on a lab host", f"node {task['NodeID'][:12]} ({host or '?'})",
                                Verdict.UNKNOWN, "swarm tasks", "its node is not one of the lab's hosts"))  # fmt: skip
            continue
        landed.append(host)
        engine = ctx.engines[host]
        container = engine_call(engine.client.containers.get, cid, what=f"find the container of {slot}")
        for ch in check_given_limits(engine, container, given):
            checks.append(replace(ch, subject=f"{slot} on {host}: {ch.subject}"))
    if body.hosts:
        ok = set(landed) == set(body.hosts)
        checks.append(
            Check(
                f"placement of {body.service}",
                "-",
                f"tasks on {', '.join(body.hosts)}",
                ", ".join(sorted(landed)) or "no running task",
                _v(ok),
                "swarm tasks → node labels",
            )
        )
    return checks


from dockerctl.prove import calico as _calico_proofs  # noqa: E402,F401  (routed)
from dockerctl.prove import flannel as _flannel_proofs  # noqa: E402,F401  (source_ip, flannel, lease_removed)
from dockerctl.prove import pool as _pool_proofs  # noqa: E402,F401  (registers shared, replica, capacity)
from dockerctl.prove import weave as _weave_proofs  # noqa: E402,F401  (one_switch)

__all__ = ["REGISTRY", "Context", "evaluate", "evaluate_one"]

missing = set(KINDS) - set(REGISTRY)
if missing:  # a kind the format accepts must have a handler: caught at import, not mid-play
    raise RuntimeError(f"no handler for expectation kind(s) {', '.join(sorted(missing))}")


def evaluate_one(e: Expectation, ctx: Context, index: int = -1) -> list[Check]:
    """The expectation's checks, each citing the claim the playbook gives (and the expectation's index)."""
    return [replace(c, claim=e.claim, expectation=index) for c in REGISTRY[e.kind](getattr(e, e.kind), ctx)]


def evaluate(engines: dict[str, Engine], pb: Playbook, containers: dict[str, Container]) -> list[Check]:
    """Every expectation's checks. `containers` are freshly inspected by the caller: the checks read that
    state once (they run on twins and do not change the lab's containers)."""
    checks: list[Check] = []
    with ExitStack() as stack:
        ctx = Context(engines, pb, containers, stack)
        for i, e in enumerate(pb.expect):
            try:
                checks.extend(evaluate_one(e, ctx, i))
            except (
                Exception
            ) as exc:  # an expectation that cannot be evaluated fails, it does not stop the others
                checks.append(
                    Check(
                        f"{e.kind} ({', '.join(e.containers())})",
                        e.claim,
                        "evaluated",
                        "error",
                        Verdict.UNKNOWN,
                        "",
                        f"{type(exc).__name__}: {exc}",
                        expectation=i,
                    )
                )
    return checks
