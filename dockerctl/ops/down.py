"""`down`: remove one lab — its labelled resources on every host, the swarm mode it joined, the
daemons and hosts it started. Kept apart from play (and its playbook models): `down` needs neither
pydantic nor the playbook parser, and starts in a fraction of the time."""

from __future__ import annotations

from dockerctl.apply.cleanup import Removed
from dockerctl.engines.engine import Engine
from dockerctl.engines.locks import lab_lock
from dockerctl.engines.signals import Interrupted, reached, shielded
from dockerctl.errors import InvalidInput
from dockerctl.fabric import labhosts
from dockerctl.hosts.records import CorruptRecord
from dockerctl.ops.lifecycle import lab_down, reconnect, serve_again
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
    try:
        up = labhosts.load(lab)
    except CorruptRecord:  # its hosts are not known: the rest goes, and `hosts_down` names the file
        up = None
    engines = reconnect(up, engine) if up else {"local": engine}
    order = list(up.hosts) if up else ["local"]
    try:
        # the engines remove what was made through the models' drivers (and the pool's volumes, with
        # --volumes) through those drivers: they must answer
        serve_again(lab, pool=volumes)
        return lab_down(engine, engines, lab, order, volumes=not keep_volumes, keep_pool=not volumes)
    finally:
        labhosts.close_engines(engines.values(), engine)
