"""A GlusterFS storage pool across a lab's simulated hosts (seed V1, V2): one glusterd per host, peers
probed over the lab switch, one replicated GlusterFS volume per docker volume, each brick a sized
filesystem of its own — the way heketi gives a size to a GlusterFS volume — so `size` is enforced by
the brick running out of space, never silently ignored.

Recipe measured on this machine kind (host-facts.md): each glusterd runs in its host's network
namespace (nsenter --net) with its own working directory, bind address on the lab switch, CLI socket,
run directory (brick and self-heal pid files, so two hosts' daemons do not collide), log directory
and pid file; `gluster --mode=script` answers no prompts; a FUSE mount made with `nsenter --net` is
visible to every engine on the machine (it shares the mount namespace).

Ownership: everything lives under one root per lab (`$STATE/gluster/<lab>`, or the brick directory a
playbook names, marked as the lab's). A process is the pool's when its command line names that root;
nothing else is ever signalled, unmounted or removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import xml.etree.ElementTree as ET  # nosec B405  # parses only the lab's own glusterd output (root's)
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.errors import Conflict, EngineError, InvalidInput, NotFound
from dockerctl.fabric.removal import remove_file, remove_tree
from dockerctl.hosts import LocalHost, NetnsHost, state
from dockerctl.hosts.base import Completed
from dockerctl.hosts.paths import write_atomic, write_json
from dockerctl.hosts.records import CorruptRecord

MARKER = ".dockerctl-pool"  # in a brick directory: which lab's pool it belongs to
GB = 1024**3


@dataclass(frozen=True)
class PoolHost:
    name: str  # the simulated host (= its network namespace)
    address: str  # its address on the lab switch (glusterd binds there)


@dataclass(frozen=True)
class Pool:
    lab: str
    hosts: tuple[PoolHost, ...]
    brick_dir: str = ""  # where bricks live ("" = under the pool's state directory)
    driver: str = "dockerctl-gluster"
    # its record could not be read (why): this pool was pieced together from what is under its root
    damaged: str = field(default="", compare=False)

    @property
    def root(self) -> Path:
        return RECORDS.dir(self.lab)

    def host(self, name: str) -> PoolHost:
        for h in self.hosts:
            if h.name == name:
                return h
        raise NotFound(
            f"{name!r} is not a host of lab {self.lab}'s storage pool ({', '.join(h.name for h in self.hosts)})"
        )

    def dir(self, host: str) -> Path:
        return self.root / host

    def work(self, host: str) -> Path:
        return self.dir(host) / "work"

    def run_dir(self, host: str) -> Path:
        return self.dir(host) / "run"

    def logs(self, host: str) -> Path:
        return self.dir(host) / "log"

    def sock(self, host: str) -> Path:
        return self.dir(host) / "glusterd.sock"

    def pidfile(self, host: str) -> Path:
        return self.dir(host) / "glusterd.pid"

    def bricks(self, host: str) -> Path:
        base = Path(self.brick_dir) if self.brick_dir else self.root / "bricks"
        return base / host

    def mnt(self, host: str) -> Path:
        return self.dir(host) / "mnt"

    def mountpoint(self, host: str, volume: str) -> Path:
        return self.mnt(host) / volume

    def brick_mount(self, host: str, volume: str) -> Path:
        return self.bricks(host) / volume

    def brick(self, host: str, volume: str) -> Path:
        return self.brick_mount(host, volume) / "brick"  # a directory inside the sized filesystem

    def roots(self) -> tuple[str, ...]:
        """Path prefixes that make a process, a mount or a file the pool's own."""
        out = [str(self.root) + "/"]
        if self.brick_dir:
            out.append(str(Path(self.brick_dir)) + "/")
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        data = {**asdict(self), "hosts": [asdict(h) for h in self.hosts]}
        del data["damaged"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pool:
        return cls(
            data["lab"],
            tuple(PoolHost(**h) for h in data["hosts"]),
            data.get("brick_dir", ""),
            data.get("driver", "dockerctl-gluster"),
        )


# -- the pool's record ------------------------------------------------------------------------------


RECORDS: state.Records[Pool] = state.Records(
    "pool record", state.GLUSTER, Pool.from_dict, Pool.to_dict, name="{}/pool.json", lab=str
)


def save(pool: Pool) -> None:
    RECORDS.save(pool.lab, pool)


def record_path(lab: str) -> Path:
    """Where the lab's pool record is."""
    return RECORDS.path(lab)


def load(lab: str) -> Pool | None:
    """The lab's pool (None: it has none). A record that cannot be read does not hide the pool: it is
    pieced together from what is under its root (`damaged` says why), so `stop` still ends its processes
    and mounts; `start` refuses it (CorruptRecord)."""
    try:
        return RECORDS.load(lab)
    except CorruptRecord as exc:
        return _pieced(lab, exc.why)


def _pieced(lab: str, why: str) -> Pool:
    """A pool whose record cannot be read, from its root: a host per directory with glusterd's working
    directory; the brick directory from the bricks glusterd recorded (`vols/*/bricks/*`: `path=…`)."""
    root = RECORDS.dir(lab)
    hosts = [d.name for d in sorted(root.iterdir()) if (d / "work").is_dir()] if root.is_dir() else []
    brick_dir = ""
    for brick in sorted(root.glob("*/work/vols/*/bricks/*")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in brick.read_text().splitlines():
                if line.startswith("path=") and len(Path(line[5:]).parents) > 3:
                    found = Path(line[5:]).parents[2]  # <brick_dir>/<host>/<volume>/brick
                    brick_dir = "" if found == root / "bricks" else str(found)
    return Pool(lab, tuple(PoolHost(h, "") for h in hosts), brick_dir, damaged=why)


def all_pools() -> list[Pool]:
    base = RECORDS.root
    pools = [load(p.name) for p in sorted(base.iterdir()) if p.is_dir()] if base.is_dir() else []
    return [p for p in pools if p is not None]


# -- preflight ----------------------------------------------------------------------------------


def check_brick_dir(lab: str, brick_dir: str, where: str) -> None:
    """A brick directory that exists with data of someone else's is refused (and never written)."""
    path = Path(brick_dir)
    if not path.is_absolute():
        raise InvalidInput(f"{brick_dir!r} is not an absolute path", where=where, hint="e.g. /srv/bricks")
    if not path.exists():
        return
    if not path.is_dir():
        raise InvalidInput(f"{brick_dir} exists and is not a directory", where=where)
    marker = path / MARKER
    if marker.exists():
        owner = marker.read_text().strip()
        if owner != lab:
            raise Conflict(
                f"{brick_dir} holds the bricks of lab {owner}'s pool: give this lab another brick directory",
                where=where,
            )
        return
    entries = sorted(p.name for p in path.iterdir())
    if entries:
        shown = ", ".join(entries[:3]) + (" …" if len(entries) > 3 else "")
        raise Conflict(
            f"{brick_dir} exists with data that is not a dockerctl pool's ({shown}): it is left alone",
            where=where,
            hint="give an empty or new directory for the bricks, or leave brick_dir out",
        )


# -- the gluster CLI --------------------------------------------------------------------------------


def gluster(pool: Pool, host: str, *args: str, timeout: float = 60) -> Completed:
    """`gluster` against one host's glusterd (its own CLI socket; never a prompt)."""
    log = pool.logs(host) / "cli.log"  # not the machine's /var/log/glusterfs
    argv = ["gluster", "--mode=script", f"--glusterd-sock={pool.sock(host)}", f"--log-file={log}", *args]
    return LocalHost().run(argv, timeout=timeout)


def _must(done: Completed, what: str) -> str:
    if not done.ok:
        raise EngineError(f"GlusterFS could not {what}: {done.output or f'exit {done.returncode}'}")
    return done.stdout


# -- processes ------------------------------------------------------------------------------------


def pool_processes(pool: Pool) -> dict[int, tuple[str, ...]]:
    """pid → argv of every process whose command line names one of the pool's paths."""
    roots = pool.roots()
    out = {}
    for pid, argv in LocalHost().cmdlines().items():
        ours = any(root in arg or arg == root.rstrip("/") for arg in argv for root in roots)
        if ours and argv and Path(argv[0]).name.startswith(("glusterd", "glusterfs")):
            out[pid] = argv
    return out


def glusterd_pid(pool: Pool, host: str) -> int | None:
    return LocalHost().owned_pid(str(pool.pidfile(host)), "glusterd", str(pool.work(host)))


# -- mounts -----------------------------------------------------------------------------------------


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, fstype, source) of every mount of this machine's mount namespace."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        point = left.split()[4].replace("\\040", " ")
        fstype, source = [*right.split(), "", ""][:2]
        out.append((point, fstype, source))
    return out


def pool_mounts(pool: Pool) -> list[tuple[str, str, str]]:
    """The pool's own mounts (FUSE clients and sized bricks), deepest first."""
    roots = pool.roots()
    found = [m for m in _mounts() if m[0].startswith(roots)]
    return sorted(set(found), key=lambda m: -m[0].count("/"))


def is_mounted(path: Path, fstype: str | None = None) -> bool:
    return any(p == str(path) and (fstype is None or t == fstype) for p, t, _ in _mounts())


def _umount(point: str) -> None:
    done = LocalHost().run(["umount", point], timeout=30)
    if not done.ok:
        LocalHost().run(["umount", "-l", point], timeout=30)


# -- up -------------------------------------------------------------------------------------------


def _argv(pool: Pool, h: PoolHost) -> list[str]:
    opts = {
        "working-directory": pool.work(h.name),
        "transport.socket.bind-address": h.address,
        "glusterd-sockfile": pool.sock(h.name),
        "run-directory": pool.run_dir(h.name),
        "logging-directory": pool.logs(h.name),
    }
    argv = ["glusterd"]
    argv += ["-p", str(pool.pidfile(h.name)), "-l", str(pool.logs(h.name) / "glusterd.log")]
    for key, value in opts.items():
        argv += ["--xlator-option", f"management.{key}={value}"]
    return argv


def _mount_bricks(pool: Pool, host: str) -> None:
    """Sized bricks kept from an earlier run are mounted again before glusterd starts their processes."""
    base = pool.bricks(host)
    for image in sorted(base.glob("*.img")) if base.is_dir() else []:
        point = base / image.stem
        if not is_mounted(point):
            point.mkdir(exist_ok=True)
            _must(
                LocalHost().run(["mount", "-o", "loop", str(image), str(point)], timeout=30), "mount a brick"
            )


def _answers(pool: Pool, host: str) -> bool:
    return gluster(pool, host, "pool", "list", timeout=10).ok


def start(pool: Pool, *, wait: float = 30, progress: Any = None) -> None:
    """Every host's glusterd up (idempotent), all peers probed and connected."""
    say = progress or (lambda _m: None)
    if pool.damaged:
        raise CorruptRecord(
            record_path(pool.lab),
            pool.damaged,
            hint=f"`dockerctl down --lab {pool.lab}` ends the pool's processes and mounts all the same",
        )
    save(pool)  # before anything is made: `stop` finds it all again from the record
    for h in pool.hosts:
        for d in (
            pool.work(h.name),
            pool.run_dir(h.name),
            pool.logs(h.name),
            pool.mnt(h.name),
            pool.bricks(h.name),
        ):
            d.mkdir(parents=True, exist_ok=True)
        marker = pool.bricks(h.name).parent / MARKER
        if not marker.exists():
            write_atomic(marker, pool.lab + "\n")
        if glusterd_pid(pool, h.name) is not None:
            continue
        _mount_bricks(pool, h.name)
        say(f"glusterd on {h.name} ({h.address})")
        pool.pidfile(h.name).unlink(missing_ok=True)
        NetnsHost(h.name).start_daemon(_argv(pool, h), log=None)  # glusterd then forks on its own
    deadline = time.monotonic() + wait
    for h in pool.hosts:
        while not _answers(pool, h.name):
            if time.monotonic() > deadline:
                log = pool.logs(h.name) / "glusterd.log"
                tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
                raise EngineError(f"glusterd on {h.name} did not answer within {wait:g}s: {tail}")
            time.sleep(0.2)
    first = pool.hosts[0]
    for h in pool.hosts[1:]:
        if h.address not in _peers(pool, first.name):
            say(f"peer probe {h.name} from {first.name}")
            _must(gluster(pool, first.name, "peer", "probe", h.address), f"probe {h.name} ({h.address})")
    while True:
        states = _peers(pool, first.name)
        if len(states) == len(pool.hosts) - 1 and all(s == "Connected" for s in states.values()):
            return
        if time.monotonic() > deadline:
            raise EngineError(f"the pool's peers did not all connect within {wait:g}s: {states}")
        time.sleep(0.3)


def _peers(pool: Pool, host: str) -> dict[str, str]:
    """peer address → Connected/Disconnected, as glusterd on `host` sees them."""
    out: dict[str, str] = {}
    done = gluster(pool, host, "pool", "list", timeout=10)
    for line in done.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[1] != "localhost":
            out[parts[1]] = parts[2]
    return out


# -- volumes ----------------------------------------------------------------------------------------


@dataclass
class VolumeInfo:
    name: str
    status: str  # Started / Stopped / Created
    replica: int
    bricks: list[str] = field(default_factory=list)  # host-address:/path
    size_gb: float = 0.0  # what was asked (the record beside the bricks)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_volume_info(xml: str) -> list[VolumeInfo]:
    """`gluster --xml volume info` → volumes (their bricks in replica order)."""
    root = ET.fromstring(xml)  # nosec B314  # the lab's own glusterd, run by root; expat refuses entity bombs
    out = []
    for vol in root.iter("volume"):
        name = vol.findtext("name")
        if not name:
            continue
        bricks = [b.findtext("name") or (b.text or "").strip() for b in vol.iter("brick")]
        out.append(
            VolumeInfo(
                name,
                vol.findtext("statusStr") or "",
                int(vol.findtext("replicaCount") or 1),
                [b for b in bricks if b],
            )
        )
    return out


def _size_record(pool: Pool, volume: str) -> Path:
    return pool.root / "volumes" / f"{volume}.json"


class GlusterUnanswered(EngineError):
    """glusterd did not answer (not running yet, restarting, busy past the timeout): what it holds is not
    known — never to be taken for "no such volume"."""


ABSENT = "does not exist"  # GlusterFS's own words for a volume it does not have


def _asked(pool: Pool, host: str, args: tuple[str, ...], what: str, patience: float) -> Completed:
    """`gluster ARGS` on `host`, asked again for up to `patience` seconds while glusterd does not answer.
    → the answer (a volume that does not exist is an answer); GlusterUnanswered once patience runs out."""
    deadline = time.monotonic() + patience
    while True:
        left = deadline - time.monotonic()
        done = gluster(pool, host, *args, timeout=max(5.0, min(20.0, left)))
        if done.ok or ABSENT in done.output:
            return done
        if time.monotonic() + 0.5 >= deadline:
            raise GlusterUnanswered(
                f"GlusterFS on {host} did not answer {what} within {patience:g}s: "
                f"{done.output or f'exit {done.returncode}'}"
            )
        time.sleep(0.5)


def volume_info(
    pool: Pool, volume: str, *, host: str | None = None, patience: float = 20
) -> VolumeInfo | None:
    """The volume as GlusterFS holds it; None only when GlusterFS says it does not exist. A glusterd that
    does not answer (a host's engine is often back before its glusterd) is asked again for up to
    `patience` seconds, then GlusterUnanswered: an engine told "no such volume" forgets the volume's
    options and labels for good."""
    host = host or pool.hosts[0].name
    done = _asked(pool, host, ("--xml", "volume", "info", volume), f"about volume {volume}", patience)
    if ABSENT in done.output:
        return None
    infos = parse_volume_info(done.stdout) if "<volume>" in done.stdout else []
    if not infos:
        raise GlusterUnanswered(
            f"GlusterFS on {host} gave no readable volume info for {volume}: {done.output[:200]}"
        )
    info = infos[0]
    with contextlib.suppress(OSError, ValueError, KeyError):
        info.size_gb = float(json.loads(_size_record(pool, volume).read_text())["size_gb"])
    return info


def volume_names(pool: Pool, *, host: str | None = None, patience: float = 20) -> list[str]:
    """The pool's volumes as GlusterFS lists them (GlusterUnanswered when glusterd does not answer)."""
    host = host or pool.hosts[0].name
    done = _asked(pool, host, ("volume", "list"), "the volume list", patience)
    return [line.strip() for line in done.stdout.splitlines() if line.strip() and " " not in line.strip()]


def _make_brick(pool: Pool, host: str, volume: str, size_gb: float) -> None:
    base = pool.bricks(host)
    image = base / f"{volume}.img"
    point = pool.brick_mount(host, volume)
    local = LocalHost()
    if image.is_symlink():
        raise Conflict(f"{image} is a symlink, not a brick dockerctl made: it is left alone, never followed")
    if not os.path.lexists(image):
        # made here, never opened through a symlink planted at its name (O_EXCL | O_NOFOLLOW)
        fd = os.open(image, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.truncate(max(int(size_gb * GB), 16 * 1024 * 1024))  # sparse: disk is used as data arrives
        _must(local.run(["mkfs.ext4", "-q", "-m", "0", "-F", str(image)], timeout=120), "format a brick")
    point.mkdir(parents=True, exist_ok=True)
    if not is_mounted(point):
        _must(local.run(["mount", "-o", "loop", str(image), str(point)], timeout=30), "mount a brick")
    pool.brick(host, volume).mkdir(exist_ok=True)


def create_volume(pool: Pool, volume: str, size_gb: float) -> VolumeInfo:
    """One replicated GlusterFS volume with a brick of `size_gb` on every host, started. Idempotent."""
    info = volume_info(pool, volume)
    if info is None:
        write_json(_size_record(pool, volume), {"size_gb": size_gb})
        for h in pool.hosts:
            _make_brick(pool, h.name, volume, size_gb)
        bricks = [f"{h.address}:{pool.brick(h.name, volume)}" for h in pool.hosts]
        _must(
            gluster(
                pool,
                pool.hosts[0].name,
                "volume",
                "create",
                volume,
                "replica",
                str(len(bricks)),
                *bricks,
                "force",
            ),
            f"create volume {volume}",
        )
        info = volume_info(pool, volume)
    if info is not None and info.status != "Started":
        _must(gluster(pool, pool.hosts[0].name, "volume", "start", volume, "force"), f"start volume {volume}")
        info = volume_info(pool, volume)
    if info is None:
        raise EngineError(f"GlusterFS volume {volume} was created but cannot be read back")
    return info


class Leftovers(EngineError):
    """A removal that could not remove everything: the message names each path that stayed, and why."""

    def __init__(self, what: str, failed: list[str]) -> None:
        super().__init__(f"{what} could not all be removed: {'; '.join(failed)} — these are still on disk")
        self.failed = failed


def delete_volume(pool: Pool, volume: str) -> bool:
    """Remove the volume and its bricks — its data — on every host. → whether it existed. Leftovers
    (naming each path) when any of its data could not be removed: the engine then keeps the volume, and
    removing it again tries again."""
    for h in pool.hosts:
        unmount(pool, h.name, volume)
    try:
        info = volume_info(pool, volume, patience=5)
    except GlusterUnanswered:  # its first host's glusterd is gone: its bricks (the data) go all the same
        info = None
    if info is not None:
        if info.status == "Started":
            _must(
                gluster(pool, pool.hosts[0].name, "volume", "stop", volume, "force"), f"stop volume {volume}"
            )
        _must(gluster(pool, pool.hosts[0].name, "volume", "delete", volume), f"delete volume {volume}")
    failed: list[str] = []
    for h in pool.hosts:
        point = pool.brick_mount(h.name, volume)
        if is_mounted(point):
            _umount(str(point))
        failed += remove_tree(point)
        failed += remove_file(pool.bricks(h.name) / f"{volume}.img")
    if failed:  # the size record stays with the data it describes
        raise Leftovers(f"the data of volume {volume}", failed)
    failed += remove_file(_size_record(pool, volume))
    if failed:
        raise Leftovers(f"the record of volume {volume}", failed)
    return info is not None


def mount(pool: Pool, host: str, volume: str) -> Path:
    """The volume mounted through FUSE on `host` (its client in the host's network namespace)."""
    h = pool.host(host)
    point = pool.mountpoint(host, volume)
    if is_mounted(point, "fuse.glusterfs"):
        return point
    point.mkdir(parents=True, exist_ok=True)
    log = pool.logs(host) / f"mnt-{volume}.log"
    done = NetnsHost(host).run(
        ["mount", "-t", "glusterfs", "-o", f"log-file={log}", f"{h.address}:/{volume}", str(point)],
        timeout=60,
    )
    if not done.ok or not is_mounted(point, "fuse.glusterfs"):
        raise EngineError(f"could not mount GlusterFS volume {volume} on {host}: {done.output}")
    return point


def unmount(pool: Pool, host: str, volume: str) -> None:
    point = pool.mountpoint(host, volume)
    if is_mounted(point):
        _umount(str(point))
    with contextlib.suppress(OSError):
        point.rmdir()


# -- down -------------------------------------------------------------------------------------------


def stop(pool: Pool, *, keep_data: bool) -> list[str]:
    """End the pool's processes and mounts. keep_data: bricks and glusterd's state stay on disk (a later
    `start` brings every volume back with its data); else everything under the pool's paths goes.
    → names of the volumes whose data was kept. Leftovers, once all the rest is done, naming each path
    that could not be removed (the pool's record then stays, so a later `down` tries again)."""
    kept: list[str] = []
    if keep_data:
        base = pool.root / "volumes"
        kept = sorted(p.stem for p in base.glob("*.json")) if base.is_dir() else []
        keep_data = bool(kept)  # no volume, no data: nothing stays
    for point, fstype, _ in pool_mounts(pool):
        if fstype.startswith("fuse"):
            _umount(point)
    procs = pool_processes(pool)
    sockets = [a for argv in procs.values() for i, a in enumerate(argv) if i and argv[i - 1] == "-S"]
    daemons = [p for p, argv in procs.items() if Path(argv[0]).name != "glusterd"]
    LocalHost().end_all(daemons)
    LocalHost().end_all([p for p in procs if p not in daemons])
    failed: list[str] = []
    for sock in sockets:
        if sock.startswith("/var/run/gluster/") and sock.endswith(".socket"):
            failed += remove_file(sock)
    for point, _, _ in pool_mounts(pool):
        _umount(point)
    failed += [f"{point} (still mounted)" for point, _, _ in pool_mounts(pool)]
    for h in pool.hosts:
        failed += remove_tree(pool.run_dir(h.name))
        failed += remove_tree(pool.mnt(h.name))
        failed += remove_file(pool.sock(h.name))
        failed += remove_file(pool.pidfile(h.name))
    if not keep_data:
        if pool.brick_dir:
            for h in pool.hosts:
                failed += remove_tree(pool.bricks(h.name))
            failed += remove_file(Path(pool.brick_dir) / MARKER)
            try:
                Path(pool.brick_dir).rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                failed.append(f"{pool.brick_dir} ({exc.strerror})")
        record = record_path(pool.lab)
        for entry in sorted(pool.root.iterdir()) if pool.root.is_dir() else []:
            if entry != record:
                failed += remove_tree(entry)
        if not failed:  # the record goes last, with nothing left that it would find again
            failed += remove_tree(pool.root)
    if failed:
        raise Leftovers(f"lab {pool.lab}'s storage pool" + ("" if keep_data else " and its data"), failed)
    return kept
