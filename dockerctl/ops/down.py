"""`down`: remove one lab — its labelled resources on every host, the swarm mode it joined, the
daemons and hosts it started. Kept apart from play (and its playbook models): `down` needs neither
pydantic nor the playbook parser, and starts in a fraction of the time."""

from __future__ import annotations

import contextlib

from dockerctl.apply.cleanup import Removed, remove_owned
from dockerctl.engines import lab_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.locks import lab_lock
from dockerctl.engines.signals import Interrupted, reached, shielded
from dockerctl.errors import DockerctlError, InvalidInput
from dockerctl.fabric import labhosts
from dockerctl.fabric import swarm as lab_swarm
from dockerctl.fabric.hostlinks import remove_lab_links
from dockerctl.ops import calico as lab_calico
from dockerctl.ops import flannel as lab_flannel
from dockerctl.ops import pool as lab_pool
from dockerctl.ops import weave as lab_weave
from dockerctl.spec.gluster import GLUSTER_DRIVER
from dockerctl.spec.names import check_lab_name


def down(
    engine: Engine,
    lab: str,
    *,
    keep_volumes: bool = False,
    volumes: bool = False,
    purge: bool = False,
    wait: float = 0,
) -> Removed:
    """Remove one lab: its resources on every host, the swarm mode it joined, the hosts it made. The
    storage pool's volumes keep their data unless `volumes` (`down --volumes`) asks for it to go; the
    cached VM image stays unless `purge`."""
    check_lab_name(lab)
    if keep_volumes and volumes:
        raise InvalidInput(
            "--keep-volumes keeps every volume and --volumes removes the pool's data: give one of them",
            where="--volumes",
        )
    removed: Removed | None = None
    began = False
    try:
        with lab_lock(lab, wait=wait):
            reached("down:locked")
            with shielded():  # Ctrl-C/SIGTERM take effect once the lab is gone
                began = True
                reached("down:removing")
                removed = _down(engine, lab, keep_volumes=keep_volumes, volumes=volumes)
        if purge:
            from dockerctl.fabric import vm

            removed.purged = vm.purge_images()
    except Interrupted as stop:  # the user hears what happened, whatever the moment
        stop.outcome = stop.outcome or _stopped(lab, began=began, done=removed is not None)
        raise
    return removed


def _stopped(lab: str, *, began: bool, done: bool) -> str:
    """What a signal-stopped `down` did: nothing (stopped before the removal began: the lab is whole), or
    all of it (the removal is never cut short; the signal took effect after it)."""
    if done:
        return f"lab {lab} was removed first (a removal is never cut short)"
    if began:
        return f"the removal of lab {lab} did not finish: `dockerctl down --lab {lab}` removes the rest"
    return f"nothing was done: lab {lab} is whole (`dockerctl down --lab {lab}` removes it)"


def _down(engine: Engine, lab: str, *, keep_volumes: bool, volumes: bool) -> Removed:
    up = labhosts.load(lab)
    engines = reconnect(up, engine) if up else {"local": engine}
    order = list(up.hosts) if up else ["local"]
    try:
        if volumes:
            # the engines remove pool volumes through the driver: it must answer (a host that is gone
            # takes its engine's volumes with it; the pool's data is removed below all the same)
            with contextlib.suppress(DockerctlError):
                lab_pool.serve_again(lab)
        with contextlib.suppress(DockerctlError):  # the engines remove flannel networks through it
            lab_flannel.serve_again(lab)
        with contextlib.suppress(DockerctlError):  # … and calico networks through this one
            lab_calico.serve_again(lab)
        with contextlib.suppress(DockerctlError):  # … and weave networks
            lab_weave.serve_again(lab)
        removed = remove_everywhere(engines, lab, order, volumes=not keep_volumes, keep_pool=not volumes)
        joined = lab_records.load(lab, engine.url).get("joined_swarm")
        if joined is True:  # a single-host lab (older record): this engine
            joined = order[:1]
        if joined:
            lab_swarm.swarm_down(engines, order, [j for j in joined if j in engines])
        lab_records.forget(lab, engine.url)
        removed.kept_pool = lab_pool.pool_down(lab, keep_data=not volumes)
        lab_flannel.flannel_down(lab)
        lab_calico.calico_down(lab)
        lab_weave.weave_down(lab)
        removed.hosts = labhosts.hosts_down(lab)
    finally:
        close_engines(engines, engine)
    return removed


def close_engines(engines: dict[str, Engine], local: Engine) -> None:
    for e in engines.values():
        if e.client is not local.client:
            e.close()


def reconnect(up: labhosts.LabHosts, local: Engine) -> dict[str, Engine]:
    """Engines of a lab's hosts that are up (for dry runs and `down`); one that does not answer is skipped."""
    engines: dict[str, Engine] = {}
    for name, h in up.hosts.items():
        try:
            e = labhosts.connect_record(h, local)
            if not labhosts.is_this_machine(h):
                engine_call(e.client.ping, what=f"reach host {name}")
        except DockerctlError:
            continue
        engines[name] = e
    return engines


def remove_everywhere(
    engines: dict[str, Engine], lab: str, order: list[str], *, volumes: bool, keep_pool: bool = False
) -> Removed:
    """Services and containers on every host first (the manager's services take their tasks with
    them), then networks and volumes: an overlay network goes only once no host uses it. keep_pool:
    the storage pool's volumes (their data) stay. One host: one pass (it removes its containers before
    its networks)."""
    removed = Removed()
    present = [n for n in order if n in engines]
    spare = GLUSTER_DRIVER if keep_pool else None
    for name in present if len(present) > 1 else []:
        removed.add(remove_owned(engines[name].client, lab=lab, volumes=volumes, networks=False))
    for name in present:
        removed.add(remove_owned(engines[name].client, lab=lab, volumes=volumes, spare_driver=spare))
        remove_lab_links(engines[name].host, lab)
    return removed
