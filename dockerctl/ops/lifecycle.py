"""A lab's lifecycle, written once: what `play`, `hosts up` and `down` each did by hand, in one order.

Up: the models' preflights (before anything is made) → the hosts → the storage pool and the network
models (each a no-op unless the playbook has its section) → swarm mode across the hosts.
Down: the lab's resources on every host → swarm mode left → the lab's record → the pool and the models
→ the hosts; then the state store (hosts/state.py `held`) says what the lab still holds on disk. The
models come from their registry (spec/netmodels.py), each a `NetworkModel` (netmodels/base.py);
nothing here names one.

The pool, the lab hosts, swarm mode and the removal machinery are imported by the step that uses them:
bringing up a lab without those sections (an unchanged one re-applied, issue 38) loads none of them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from dockerctl.engines.engine import Engine
from dockerctl.errors import DockerctlError
from dockerctl.netmodels.base import Progress, models, used_by
from dockerctl.spec.gluster import GLUSTER_DRIVER

T = TypeVar("T")

if TYPE_CHECKING:  # `down` never loads the playbook models
    from dockerctl.apply.cleanup import Removed
    from dockerctl.fabric.lab_host_records import LabHosts
    from dockerctl.spec.playbook import Playbook


def preflight(pb: Playbook) -> None:
    """Every model's and the pool's checks of this machine, before anything is made."""
    if pb.storage is not None:
        from dockerctl.ops import pool as lab_pool

        lab_pool.preflight(pb)
    for m in used_by(pb).values():
        m.preflight(pb)


def hosts_up(engine: Engine, pb: Playbook, images: list[str], progress: Progress | None) -> dict[str, Engine]:
    """The playbook's hosts with their engines (this engine alone for a lab without hosts)."""
    if not pb.hosts:
        return {"local": engine}
    from dockerctl.fabric import labhosts

    return labhosts.hosts_up(
        pb.name, pb.hosts, pb.switch.subnet, pb.switch_addresses(), engine,
        images=images, where=pb.where, progress=progress,
    )  # fmt: skip


def models_up(pb: Playbook, progress: Progress | None) -> list[str]:
    """The storage pool and each model the playbook has a section for (idempotent). → the pool's volumes
    that held data before this run."""
    kept: list[str] = []
    if pb.storage is not None:  # a storage: section: its pool and volume driver (V1, V2)
        from dockerctl.ops import pool as lab_pool

        kept = lab_pool.pool_up(pb, progress)
    for m in used_by(pb).values():
        m.up(pb, progress)
    return kept


def swarm_up(engine: Engine, engines: dict[str, Engine], pb: Playbook, order: list[str]) -> list[str]:
    """Swarm mode across the hosts when the playbook asks; what this lab joined is recorded, so `down`
    leaves exactly that. → the hosts it joined."""
    if not pb.swarm:
        return []
    from dockerctl.engines import lab_records
    from dockerctl.fabric import swarm as lab_swarm

    joined = lab_swarm.swarm_up(engines, order, pb.lab_addresses())
    if joined:
        lab_records.save(pb.name, engine.url, {"joined_swarm": joined})
    return joined


def after_containers(pb: Playbook, engines: dict[str, Engine], say: Progress) -> None:
    """What a model does once the lab's containers run (publishing their names, applying its policies
    to their workloads …)."""
    for m in used_by(pb).values():
        m.after_containers(pb, engines, say)


def serve_again(lab: str, *, pool: bool) -> None:
    """Serve the models' drivers (and the pool's, if `pool`) again, so the engines can remove what was
    made through them; a driver that cannot come back is left (its host may be gone with its networks)."""
    if pool:
        from dockerctl.ops import pool as lab_pool

        with contextlib.suppress(DockerctlError):
            lab_pool.serve_again(lab)
    for m in models().values():
        with contextlib.suppress(DockerctlError):
            m.serve_again(lab)


def lab_down(
    local: Engine,
    engines: dict[str, Engine],
    lab: str,
    order: list[str],
    *,
    joined: list[str] | None = None,
    volumes: bool = True,
    keep_pool: bool = False,
    settle: bool = False,
) -> Removed:
    """Remove the lab everywhere, in one order. joined: the hosts this run joined to swarm mode (with
    those the lab's record names: all of them leave it again). settle: the run was cut short, maybe
    while the engine was still making something it had been asked for (measured: a network created
    just after the first sweep listed the lab) — sweep again until a pass finds nothing. keep_pool:
    the storage pool's data stays."""
    from dockerctl.engines import lab_records
    from dockerctl.fabric import gluster, labhosts
    from dockerctl.fabric import swarm as lab_swarm
    from dockerctl.hosts import state
    from dockerctl.ops import pool as lab_pool

    removed = remove_everywhere(engines, lab, order, volumes=volumes, keep_pool=keep_pool)
    for _ in range(4 if settle else 0):
        time.sleep(0.5)
        more = remove_everywhere(engines, lab, order, volumes=volumes, keep_pool=keep_pool)
        removed.add(more)
        if not more.count:
            break
    failed: list[DockerctlError] = []

    def step(run: Callable[[], T]) -> T | None:
        """A step that fails (data it could not remove, a record it could not read) does not keep the
        later ones from running: the lab's hosts and daemons still go, and the first error is raised
        once everything else is down, so `down` says what stayed and a re-run finishes the job."""
        try:
            return run()
        except DockerctlError as exc:
            failed.append(exc)
            return None

    # the swarm mode joined by this run or an earlier one (its record: None when it cannot be read, and
    # then it stays, naming what this run could not know)
    loaded = step(lambda: lab_records.load(lab, local.url))
    recorded = (loaded or {}).get("joined_swarm")
    earlier = order[:1] if recorded is True else list(recorded or [])  # True: an older single-host record
    joined = list(dict.fromkeys([*(joined or []), *earlier]))
    if joined:
        lab_swarm.swarm_down(engines, order, [j for j in joined if j in engines])
    if loaded is not None:
        lab_records.forget(lab, local.url)
    removed.kept_pool = step(lambda: lab_pool.pool_down(lab, keep_data=keep_pool)) or []
    for m in models().values():
        step(partial(m.down, lab))
    removed.hosts = step(lambda: labhosts.hosts_down(lab)) or []
    if failed:
        raise failed[0]
    kept = gluster.record_path(lab) if keep_pool else None  # the pool's record stays with its data
    removed.held = [str(h.path) for h in state.held(lab) if h.path != kept]
    return removed


def reconnect(up: LabHosts, local: Engine) -> dict[str, Engine]:
    """Engines of a lab's hosts that are up (for dry runs and `down`); one that does not answer is skipped."""
    from dockerctl.fabric import labhosts

    return {h.name: e for h, e in labhosts.walk(up.hosts.values(), local)}


def remove_everywhere(
    engines: dict[str, Engine], lab: str, order: list[str], *, volumes: bool, keep_pool: bool = False
) -> Removed:
    """Services and containers on every host first (the manager's services take their tasks with
    them), then networks and volumes: an overlay network goes only once no host uses it. keep_pool:
    the storage pool's volumes (their data) stay. One host: one pass (it removes its containers before
    its networks)."""
    from dockerctl.apply.cleanup import Removed, remove_owned
    from dockerctl.fabric.hostlinks import remove_lab_links

    removed = Removed()
    present = [n for n in order if n in engines]
    spare = GLUSTER_DRIVER if keep_pool else None
    for name in present if len(present) > 1 else []:
        removed.add(remove_owned(engines[name].client, lab=lab, volumes=volumes, networks=False))
    for name in present:
        removed.add(remove_owned(engines[name].client, lab=lab, volumes=volumes, spare_driver=spare))
        remove_lab_links(engines[name].host, lab)
    return removed
