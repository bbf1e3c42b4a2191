"""A lab's storage pool (seed V1, V2): GlusterFS across its simulated hosts and the volume driver that
serves it to their engines — checked before anything is made, up after the hosts, down before them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from dockerctl.errors import Conflict, InvalidInput
from dockerctl.fabric import gluster
from dockerctl.jsonout import RowsReport
from dockerctl.plugins import daemon
from dockerctl.spec.gluster import GLUSTER_DRIVER

if TYPE_CHECKING:
    from dockerctl.spec.playbook import Playbook

Progress = Callable[[str], None]


def pool_of(pb: Playbook) -> gluster.Pool | None:
    if pb.storage is None:
        return None
    addresses = pb.lab_addresses()
    return gluster.Pool(
        pb.name,
        tuple(gluster.PoolHost(h, addresses[h]) for h in pb.storage.hosts),
        pb.storage.brick_dir or "",
        GLUSTER_DRIVER,
    )


def preflight(pb: Playbook) -> None:
    """What would make the pool bad, refused before anything is made."""
    pool = pool_of(pb)
    if pool is None:
        return
    missing = [tool for tool in ("glusterd", "gluster", "mkfs.ext4") if shutil.which(tool) is None]
    if missing:
        raise InvalidInput(
            f"the storage pool needs GlusterFS and e2fsprogs on this machine ({', '.join(missing)} not found)",
            where=pb.where("storage"),
            hint="scripts/setup installs them (Debian: glusterfs-server glusterfs-client e2fsprogs)",
        )
    if pool.brick_dir:
        gluster.check_brick_dir(pb.name, pool.brick_dir, pb.where("storage.brick_dir"))
    rec = daemon.load(GLUSTER_DRIVER)
    if rec is not None and rec.lab != pb.name and daemon.running_pid(rec) is not None:
        raise Conflict(
            f"the volume driver {GLUSTER_DRIVER} is served for lab {rec.lab}: one lab's pool at a time",
            where=pb.where("storage"),
            hint=f"`dockerctl down --lab {rec.lab}` first",
        )


def pool_up(pb: Playbook, progress: Progress | None = None) -> list[str]:
    """The pool's glusterds, peers and volume driver, up (idempotent). → volumes it already held."""
    pool = pool_of(pb)
    if pool is None:
        return []
    say = progress or (lambda _m: None)
    say(f"storage pool across {', '.join(h.name for h in pool.hosts)}")
    gluster.start(pool, progress=say)
    say(f"volume driver {pool.driver}")
    daemon.start_gluster_volume(pool)
    return gluster.volume_names(pool)


def serve_again(lab: str) -> None:
    """Before a `down` removes volumes: the pool and its driver answer (else the engine cannot remove
    them). Nothing is made for a lab without a pool."""
    pool = gluster.load(lab)
    if pool is None:
        return
    gluster.start(pool)
    daemon.start_gluster_volume(pool)


def pool_down(lab: str, *, keep_data: bool) -> list[str]:
    """The driver stopped, the pool's processes and mounts ended. → volumes whose data was kept."""
    daemon.stop_lab(lab)
    pool = gluster.load(lab)
    return gluster.stop(pool, keep_data=keep_data) if pool is not None else []


def plugins_report() -> PluginsReport:
    """dockerctl's plugins as their records and sockets say: which lab, process, what each implements."""
    rows = []
    for rec in daemon.records():
        pid = daemon.running_pid(rec)
        answer = daemon.implements(daemon.socket_path(rec.driver)) if pid else None
        rows.append(
            PluginRow(
                rec.driver,
                rec.lab,
                rec.kind,
                pid or 0,
                rec.socket,
                list(answer or ()),
                "serving" if answer else ("not answering" if pid else "not running"),
            )
        )
    return PluginsReport(rows)


@dataclass
class PluginRow:
    driver: str
    lab: str
    kind: str
    pid: int
    socket: str
    implements: list[str]
    state: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PluginsReport(RowsReport[PluginRow]):
    JSON = "ok plugins=rows"

    @property
    def ok(self) -> bool:
        return all(r.state == "serving" for r in self.rows)
