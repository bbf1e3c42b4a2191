"""A simulated host's engine: its own dockerd in a network namespace dockerctl made, with its own
data-root, exec-root, socket, pid file, log, cgroup parent, containerd namespace and bridge subnet —
recipe measured on this machine kind (nsenter --net, never `ip netns exec`, which re-mounts /sys).

Everything it starts is found again by what dockerctl gave it: the pid file (checked to still be a
dockerd started with this data-root), and the containerd namespace in the shims' command lines. `stop`
ends exactly those processes, and removes the empty cgroups under the engine's own cgroup parent.
"""

from __future__ import annotations

import contextlib
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from dockerctl.engines.client import connect
from dockerctl.errors import EngineUnavailable
from dockerctl.fabric.netns import Namespace
from dockerctl.fabric.removal import remove_tree
from dockerctl.hosts import LocalHost, NetnsHost, state
from dockerctl.hosts.paths import InDir, Named, write_atomic


@dataclass(frozen=True)
class SimEngine:
    """Where a simulated host's engine keeps everything, all derived from the host's name."""

    host: str  # the simulated host's name (= its namespace's name)
    bip: str  # docker0 inside that host, e.g. 172.30.1.1/24 (no collision with the machine's)
    remap: str = ""  # "user:group": the engine remaps containers' users to that user's subordinate range

    # the range `remap` gets: dockerd reads it from /etc/subuid and /etc/subgid, which are the machine's;
    # a remapping engine sees files of its own there instead (bind-mounted in a mount namespace of its own)
    REMAP_RANGE = (231072, 65536)

    @property
    def root(self) -> Path:
        return state.folder(state.SIM_HOSTS) / self.host

    data_root = InDir("data", "root")
    pidfile, log = InDir("dockerd.pid", "root"), InDir("dockerd.log", "root")
    subids = InDir("subid", "root")  # the file a remapping engine reads as both /etc/subuid and /etc/subgid
    exec_root = Named("/run/dctl-{self.host}")
    socket = Named("/run/dctl-{self.host}.sock")
    url = Named("unix://{self.socket}")
    cgroup_parent = Named("/dctl-{self.host}")
    containerd_namespace = Named("dctl-{self.host}")

    def argv(self) -> list[str]:
        """dockerd as the host runs it (inside its namespace: `NetnsHost.start_daemon` enters it)."""
        private = []
        if self.remap:
            # unshare's default propagation is private: the binds and dockerd's own mounts stay inside
            private = ["unshare", "--mount", "--", "sh", "-c",
                       'mount --bind "$0" /etc/subuid && mount --bind "$0" /etc/subgid && exec "$@"',
                       str(self.subids)]  # fmt: skip
        return [
            *private,
            "dockerd",
            *(["--userns-remap", self.remap] if self.remap else []),
            "--data-root", str(self.data_root),
            "--exec-root", self.exec_root,
            "-H", self.url,
            "--pidfile", str(self.pidfile),
            "--cgroup-parent", self.cgroup_parent,
            # cgroupfs on every host: on a cgroup v2 host booted with systemd dockerd would default to the
            # systemd driver, which refuses a parent that is not a `.slice` (and lays cgroups out apart)
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            "--containerd-namespace", self.containerd_namespace,
            "--containerd-plugins-namespace", f"{self.containerd_namespace}-plugins",
            "--bip", self.bip,
            "--default-address-pool", f"base={_pool(self.bip)},size=24",
        ]  # fmt: skip

    def pid(self) -> int | None:
        """The running dockerd of this host: the pid file's process, checked by its command line."""
        return LocalHost().owned_pid(str(self.pidfile), "dockerd", str(self.data_root))


def _pool(bip: str) -> str:
    """The host's default-address-pool: the /16 around its bip (172.30.1.1/24 → 172.30.0.0/16)."""
    a, b, *_ = bip.split(".")
    return f"{a}.{b}.0.0/16"


def start(engine: SimEngine, ns: Namespace, *, wait: float = 60) -> int:
    """Start the host's dockerd (unless it runs) and wait until it answers. → its pid.

    An engine still shutting down (a restart: its pid alive, its socket no longer answering) is waited
    for, then started again — never two dockerds on one data-root."""
    launched = False
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not launched and engine.pid() is None:
            _clear_dead_containerd(engine)
            _launch(engine, ns)
            launched = True
        try:
            client = connect(engine.url, timeout=5)
            client.close()
            pid = engine.pid()
            if pid is not None:
                return pid
        except EngineUnavailable:
            pass
        time.sleep(0.3)
    tail = engine.log.read_text(errors="replace")[-800:] if engine.log.exists() else ""
    raise EngineUnavailable(
        f"the engine of simulated host {engine.host} did not answer within {wait:g}s: {tail}"
    )


def _clear_dead_containerd(engine: SimEngine, wait: float = 10) -> None:
    """A crashed dockerd's containerd dies after it (its parent-death signal), not with it, and may stay
    a zombie until whoever inherited it reaps it. A dockerd started meanwhile finds its pid file, takes
    the pid for a running containerd ("containerd is still running") and waits 15 s for a socket that
    never answers. So: wait for it to die, and remove the pid file of one that is dead or a zombie."""
    pidfile = str(Path(engine.exec_root) / "containerd" / "containerd.pid")
    local = LocalHost()
    pid = local.owned_pid(pidfile, "containerd", engine.exec_root)  # None: gone, a zombie, or not ours
    if pid is not None:
        local.wait_gone([pid], wait)
    if local.owned_pid(pidfile, "containerd", engine.exec_root) is None:
        Path(pidfile).unlink(missing_ok=True)


def _launch(engine: SimEngine, ns: Namespace) -> None:
    engine.root.mkdir(parents=True, exist_ok=True)
    engine.pidfile.unlink(missing_ok=True)  # a stale one would stop dockerd from starting
    if engine.remap:
        first, count = engine.REMAP_RANGE
        user, _, group = engine.remap.partition(":")
        write_atomic(
            engine.subids,
            "".join(f"{name}:{first}:{count}\n" for name in dict.fromkeys([user, group or user])),
        )
    try:
        NetnsHost(ns.name).start_daemon(engine.argv(), log=engine.log)
    except EngineUnavailable as exc:
        raise EngineUnavailable(
            f"the engine of simulated host {engine.host} could not be started: {exc.message}"
        ) from None


def shim_pids(engine: SimEngine) -> list[int]:
    """containerd shims of this host's engine (they outlive a killed dockerd), by their namespace."""
    out = []
    for pid, argv in LocalHost().cmdlines().items():
        if argv and argv[0].endswith("containerd-shim-runc-v2") and engine.containerd_namespace in argv:
            out.append(pid)
    return out


def kill(engine: SimEngine) -> None:
    """SIGKILL the host's dockerd, as a crash would (fault tests)."""
    pid = engine.pid()
    if pid is not None:
        LocalHost().signal_all([pid], signal.SIGKILL, 10)


def stop(engine: SimEngine, *, wait: float = 30) -> list[str]:
    """End the host's dockerd and every shim it left, then remove its empty cgroups and exec-root.
    → what could not be removed, each with why (empty: nothing of the engine is left)."""
    pid = engine.pid()
    if pid is not None:
        LocalHost().end_all([pid], wait=wait)
    LocalHost().end_all(shim_pids(engine), wait=5)
    _unmount(engine)
    failed = _remove_cgroups(engine)
    Path(engine.socket).unlink(missing_ok=True)
    return failed


def engine_mounts(engine: SimEngine) -> list[str]:
    """Mount points under this engine's data-root and exec-root (a killed engine leaves its containers'
    overlay and netns mounts behind), deepest first."""
    roots = (str(engine.data_root) + "/", engine.exec_root + "/")
    own = (str(engine.data_root), engine.exec_root)  # dockerd bind-mounts its data-root on itself
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point.startswith(roots) or point in own:
            points.append(point)
    return sorted(set(points), key=lambda p: -p.count("/"))


def _unmount(engine: SimEngine) -> None:
    for point in engine_mounts(engine):
        LocalHost().run(["umount", "-l", point])


CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_tops(parent: str, base: Path = CGROUP_ROOT) -> list[Path]:
    """Where a cgroup parent (`/dctl-h1`, cgroupfs driver) is, in every hierarchy mounted under `base`:
    cgroup v2 (one unified tree, `base` itself holds cgroup.controllers) → `base/dctl-h1`; v1 (a tree per
    controller: `base/memory`, `base/cpu,cpuacct`, … and a hybrid host's `base/unified`) →
    `base/<hierarchy>/dctl-h1`. Only those that exist, and never through a symlink (v1's `cpu` →
    `cpu,cpuacct` is the same tree)."""
    name = parent.strip("/")
    if not name or not base.is_dir():
        return []
    if (base / "cgroup.controllers").is_file():  # v2: base is the unified hierarchy's root
        hierarchies = [base]
    else:
        hierarchies = [h for h in sorted(base.iterdir()) if h.is_dir() and not h.is_symlink()]
    return [top for h in hierarchies if (top := h / name).is_dir() and not top.is_symlink()]


def _remove_cgroups(engine: SimEngine, base: Path = CGROUP_ROOT) -> list[str]:
    """Cgroup directories under this engine's cgroup parent (made by it), deepest first, on a cgroup v1
    or v2 host. Processes still in them are its containers' (a killed engine leaves containers it was
    starting as `runc init` processes, measured): they are ended first, or the directories could not be
    removed. → what could not be removed, each with why (empty: nothing is left)."""
    tops = cgroup_tops(engine.cgroup_parent, base)
    left: set[int] = set()
    for top in tops:
        for procs in [top / "cgroup.procs", *top.rglob("*/cgroup.procs")]:
            with contextlib.suppress(OSError, ValueError):
                left.update(int(p) for p in procs.read_text().split())
    if left:
        LocalHost().signal_all(sorted(left), signal.SIGKILL, 5)
    failed: dict[Path, str] = {}
    for top in tops:
        below = [p for p in top.rglob("*") if p.is_dir() and not p.is_symlink()]
        for directory in [*sorted(below, key=lambda p: -len(p.parts)), top]:
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if not any(directory in f.parents for f in failed):  # each failure once, where it is
                    failed[directory] = f"cgroup {directory} ({exc.strerror})"
    return list(failed.values())


def purge(engine: SimEngine) -> list[str]:
    """Remove the host's state directory (its images, containers, volumes): only after `stop`.
    → what could not be removed, each with why (empty: all of it went)."""
    if engine.pid() is not None:
        raise RuntimeError(f"the engine of {engine.host} still runs")
    failed = remove_tree(engine.root) + remove_tree(engine.exec_root)
    if engine.remap:  # a remapping engine's containerd keeps its state beside, owned by the range
        first, _ = engine.REMAP_RANGE
        failed += remove_tree(f"{engine.exec_root}.{first}.{first}")
    return failed
