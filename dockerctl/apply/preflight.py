"""Preflight: what the engine's host or the engine make bad input — refused before anything is created.

Host facts (devices, CPUs, bind sources, the engine's socket) are read on the engine's own host, so a
remote engine is judged by its machine, never by this one.
"""

from __future__ import annotations

from docker.models.containers import Container

from dockerctl.apply.containers import get
from dockerctl.apply.networks import check_static_ip, get_network
from dockerctl.engines.engine import Engine
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.hosts import Host
from dockerctl.observe.devices import BlockDevice, online_cpus, resolve_devices
from dockerctl.spec.fields import THROTTLE_KINDS
from dockerctl.spec.models import ContainerSpec, Limits, cpuset_members
from dockerctl.spec.mounts import ENGINE_SOCKETS, MountSpec, check_targets


def preflight_limits(host: Host, limits: Limits) -> dict[str, BlockDevice | str]:
    """Refuse what the host cannot take, naming the flag: devices, CPU count, CPU list. An engine whose
    host cannot be read from here (tcp://) judges these itself."""
    if not host.readable:
        return {}
    devices = resolve_devices(host, limits)
    for kind in THROTTLE_KINDS:
        for entry in getattr(limits, kind):
            dev = devices[entry.path]
            if isinstance(dev, str):
                raise InvalidInput(f"{dev}; give a block device such as /dev/sda", field=kind)
            if dev.partition:
                raise InvalidInput(dev.partition_warning(), field=kind)
    if limits.cpus is None and limits.cpuset_cpus is None:
        return devices
    cpus = online_cpus(host)
    if limits.cpus is not None and limits.cpus > len(cpus):
        raise InvalidInput(
            f"--cpus {limits.cpus:g} is more than the {len(cpus)} CPUs this host has; use 0.01–{len(cpus)}",
            field="cpus",
        )
    if limits.cpuset_cpus is not None:
        missing = cpuset_members(limits.cpuset_cpus) - cpus
        if missing:
            online = ",".join(str(c) for c in sorted(cpus))
            raise InvalidInput(
                f"CPU(s) {','.join(str(c) for c in sorted(missing))} do not exist here: use CPUs among {online}",
                field="cpuset_cpus",
            )
    return devices


def engine_sockets(engine: Engine) -> tuple[str, ...]:
    """The usual engine sockets plus the one this client really talks to (-H / DOCKER_HOST)."""
    url = engine.url
    return (*ENGINE_SOCKETS, *([url[len("unix://") :]] if url.startswith("unix://") else []))


def check_host_side(
    host: Host,
    mounts: list[MountSpec],
    *,
    allow_engine_socket: bool,
    sockets: tuple[str, ...] = ENGINE_SOCKETS,
) -> None:
    """Host facts that make a mount bad: a --mount bind source that does not exist, the engine's socket."""
    if not host.readable:
        check_targets(mounts)  # the engine's own host is out of reach: it judges bind sources itself
        return
    real_sockets = {host.realpath(s) for s in sockets if host.exists(s)}
    for m in mounts:
        if m.kind != "bind" or m.source is None:
            continue
        field = "volumes" if m.origin == "-v" else "mounts"
        if m.origin == "--mount" and not host.exists(m.source):
            raise InvalidInput(
                f"bind source {m.source} does not exist (--mount does not create it; -v would)", field=field
            )
        real = host.realpath(m.source)
        for sock in real_sockets:
            if (real == sock or sock.startswith(real.rstrip("/") + "/")) and not allow_engine_socket:
                raise InvalidInput(
                    f"{m.source} exposes the engine's socket {sock}: a container with it controls the host",
                    field=field,
                    hint="pass --allow-engine-socket if that is really meant",
                )
    check_targets(mounts)


def preflight_mounts(engine: Engine, spec: ContainerSpec, *, allow_engine_socket: bool) -> None:
    """Mount input the host or engine makes bad — found before anything is created."""
    check_host_side(
        engine.host,
        list(spec.mounts),
        allow_engine_socket=allow_engine_socket,
        sockets=engine_sockets(engine),
    )
    for ref in spec.volumes_from:
        name, _, mode = ref.partition(":")
        if mode not in ("", "ro", "rw"):
            raise InvalidInput(f"invalid mode {mode!r} in {ref!r}: use ro or rw", field="volumes_from")
        try:
            get(engine.client, name)
        except NotFound:
            raise NotFound(f"container {name!r} does not exist", where="--volumes-from") from None


def preflight_network_options(engine: Engine, spec: ContainerSpec) -> None:
    """The network, a joined container and a static IP must be right before anything is created."""
    client = engine.client
    mode = spec.network or ""
    if mode.startswith("container:"):
        try:
            joined: Container = get(client, mode.split(":", 1)[1])
        except NotFound:
            raise NotFound(f"container {mode.split(':', 1)[1]!r} does not exist", where="--network") from None
        if joined.status != "running":
            raise Conflict(
                f"cannot join the network of {joined.name}: it is not running (seed C3)",
                where="--network",
                hint=f"docker start {joined.name}",
            )
    elif mode and mode not in ("host", "none", "bridge"):
        try:
            get_network(client, mode)
        except NotFound:
            raise NotFound(f"network {mode!r} does not exist", where="--network") from None
    check_static_ip(client, spec.network, spec.ip)


def preflight_container(engine: Engine, spec: ContainerSpec, *, allow_engine_socket: bool = False) -> None:
    preflight_limits(engine.host, spec.limits)
    preflight_mounts(engine, spec, allow_engine_socket=allow_engine_socket)
    preflight_network_options(engine, spec)
