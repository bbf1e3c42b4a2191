"""A playbook's expectations: one registry, kind → handler, each turning an expectation into Checks by
reading the kernel on the lab's engine host or by sending traffic. The handlers here hand each
expectation to the one home of its check (`dockerctl.checks`, a proof in `prove/`); those of a topic
live in its module — overlay.py (X4–X6), volumes.py (S3, S9), services.py, pool.py, and each network
model's proofs.py in its folder (netmodels/<m>/, loaded through spec/netmodels.py) — and register
with `handles` (registry.py).

Every handler, here and in the topic modules, only runs the experiment: what it reads goes through
observe/ (`ipv4_of`, `tcp_connect` on the container's own host, the overlay namespace, the segment),
what it concludes through verify/ — expectations.py for those here, storage.py (S3, S9, V1, V2),
overlay.py (X4–X8), services.py, and each network model's verdicts.py.
Every check carries the seed claim the expectation cites. The evidence is what was read or run.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from docker.models.containers import Container

from dockerctl.checks import namespaces, traffic
from dockerctl.checks.limits import asked_of, check_given_limits
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.observe.devices import device_of_directory
from dockerctl.observe.iproute import ipv4_of
from dockerctl.observe.netns_probe import tcp_connect
from dockerctl.observe.traffic import addresses
from dockerctl.prove.registry import REGISTRY, Context, handles
from dockerctl.spec import netmodels as registry
from dockerctl.spec.fields import THROTTLE_KINDS
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.models import Limits
from dockerctl.spec.playbook import KINDS, Expectation, Playbook
from dockerctl.spec.units import parse_size
from dockerctl.verify import expectations as judge
from dockerctl.verify.verdict import Check, Verdict


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
    evidence = f"dd bs={size} count=1 in a twin with {c.name}'s limits"
    return [judge.oom(str(c.name), body.allocate, body.killed, done.exit_code, done.oom_killed, evidence)]


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
        pid = int((ctx[body.to].attrs.get("State") or {}).get("Pid") or 0)
        address = ipv4_of(ctx.engine_of(body.to).host, pid, "eth1")
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
    bindings = ((c.attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{body.port}/tcp") or []
    where = judge.published_port(str(c.name), body.port, bindings)
    if isinstance(where, Check):
        return [where]
    address, host_port = where
    host = ctx.engine_of(body.container).host  # the port is published on the container's own host
    ok, observed, command = tcp_connect(host, address, host_port)
    return [judge.answers(str(c.name), body.port, address, host_port, ok, observed, command)]


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
        return [judge.no_device()]
    wanted = {
        kind: {device: v}
        for kind in THROTTLE_KINDS
        if (v := getattr(body, kind.removeprefix("device_"))) is not None
    }
    return prove_io(ctx.twins, Limits(**limit_fields(wanted)), tolerance=body.tolerance)


from dockerctl.prove import overlay as _overlay_proofs  # noqa: E402,F401  (interfaces, vxlan, overlay_subnets, direct)
from dockerctl.prove import pool as _pool_proofs  # noqa: E402,F401  (registers shared, replica, capacity)
from dockerctl.prove import services as _service_proofs  # noqa: E402,F401  (service_limits)
from dockerctl.prove import volumes as _volume_proofs  # noqa: E402,F401  (mount, file, survives, rm_volumes)

for _model in registry.names():  # each network model's proofs register its kinds (netmodels/<m>/proofs.py)
    registry.part(_model, "proofs")

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
