"""dockerctl's plugin processes: started for a lab (before anything uses them), found again by their
record, stopped on `down` with nothing left — socket, process, record.

A record under the state directory (`plugins/<driver>.json`: lab, pid, socket, what it implements) is
written when the process answers; the process is ours only while its command line is still
`… dockerctl plugin serve --driver <driver>`. One driver name serves one lab at a time.

A record that cannot be read back never hides its process: the process is found by its command line
(`plugin serve --lab LAB --driver DRIVER`, run by this user with this state directory), so `down` still
ends it; with no such process, the unreadable record is a clear error (CorruptRecord) wherever a record
is asked for, and `down` removes it.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dockerctl.errors import Conflict, DockerctlError, EngineError, NotFound
from dockerctl.fabric import gluster
from dockerctl.hosts import LocalHost, state
from dockerctl.hosts.records import CorruptRecord
from dockerctl.plugins.protocol import PluginApp
from dockerctl.spec import netmodels as registry

PLUGIN_DIR = Path(os.environ.get("DOCKERCTL_PLUGIN_DIR", "/run/docker/plugins"))


@dataclass
class PluginRecord:
    driver: str
    lab: str
    kind: str  # what it serves: gluster-volume
    pid: int = 0
    socket: str = ""
    implements: tuple[str, ...] = ()
    damaged: str = ""  # the record on disk could not be read (why): this one was found from its process

    def to_dict(self) -> dict[str, Any]:
        data = {**asdict(self), "implements": list(self.implements)}
        del data["damaged"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PluginRecord:
        data = {**data, "implements": tuple(data.get("implements") or ())}
        rec = cls(**{k: v for k, v in data.items() if k != "damaged"})
        if not isinstance(rec.pid, int) or not all(
            isinstance(v, str) for v in (rec.lab, rec.kind, rec.socket)
        ):
            raise TypeError("a field of the wrong type")
        return rec


RECORDS: state.Records[PluginRecord] = state.Records(
    "plugin record", state.PLUGINS, PluginRecord.from_dict, PluginRecord.to_dict, lab="field"
)


def log_path(driver: str) -> Path:
    """A plugin's log: kept after `down` for reading, beside the records but not among them."""
    return state.folder(state.LOGS) / f"plugin-{driver}.log"


def socket_path(driver: str) -> Path:
    return PLUGIN_DIR / f"{driver}.sock"


def _record_path(driver: str) -> Path:
    return RECORDS.path(driver)


def _read(driver: str) -> PluginRecord | None:
    """The driver's record as written; None when there is none; CorruptRecord when it cannot be read."""
    return RECORDS.load(driver)


def _serving(driver: str) -> PluginRecord | None:
    """The running `dockerctl plugin serve --driver DRIVER` of this user and this state directory, found
    by its command line alone (for a record that cannot be read) → a record of it, or None."""
    for pid, argv in LocalHost().cmdlines().items():
        if not argv or "python" not in argv[0].rsplit("/", 1)[-1] or "plugin" not in argv:
            continue
        flags = dict(zip(argv, [*argv[1:], ""], strict=True))
        if "serve" not in argv or flags.get("--driver") != driver or not flags.get("--lab"):
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid != os.geteuid():
                continue
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        key = f"{state.STATE_ENV}=".encode()
        theirs = next((e[len(key) :].decode(errors="replace") for e in env if e.startswith(key)), "")
        if not state.same_state(theirs):
            continue  # another dockerctl's (another state directory): not ours to end
        return PluginRecord(driver, flags["--lab"], "", pid, str(socket_path(driver)))
    return None


def _found(driver: str) -> PluginRecord | None:
    """The driver's record; for one that cannot be read, its process as its command line names it (then
    `damaged` says why the record was not used; pid 0 and lab "" when no such process runs)."""
    try:
        return _read(driver)
    except CorruptRecord as exc:
        rec = _serving(driver) or PluginRecord(driver, "", "")
        rec.damaged = exc.why
        return rec


def load(driver: str) -> PluginRecord | None:
    """The driver's record (None: there is none). One that cannot be read is taken from its running
    process (the lab it serves, its pid); with no such process, CorruptRecord says which file is bad."""
    rec = _found(driver)
    if rec is not None and rec.damaged and not rec.pid:
        raise CorruptRecord(
            _record_path(driver),
            rec.damaged,
            hint=f"no plugin process serves {driver}: remove the file, or `dockerctl down` of any lab does",
        )
    return rec


def _save(rec: PluginRecord) -> None:
    RECORDS.save(rec.driver, rec)


def records() -> list[PluginRecord]:
    """Every plugin record; one that cannot be read shows as its process (or as `damaged`, lab "")."""
    found = [_found(driver) for driver in RECORDS.stored_keys()]
    return [r for r in found if r is not None]


def running_pid(rec: PluginRecord) -> int | None:
    """The record's process, if it still runs as this driver's server."""
    return LocalHost().owned_pid(rec.pid, "python", "plugin", "serve", rec.driver)


def call(
    path: Path, method: str, body: dict[str, Any] | None = None, *, timeout: float = 5
) -> tuple[int, Any]:
    """One plugin call over its socket, as the engine makes it. → (HTTP status, JSON answer)."""
    data = json.dumps(body or {}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(
            f"POST /{method} HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/vnd.docker.plugins.v1+json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + data
        )
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(payload or b"{}")


def implements(path: Path) -> tuple[str, ...] | None:
    """What the plugin on `path` implements (its Plugin.Activate answer), or None if nothing answers."""
    try:
        status, answer = call(path, "Plugin.Activate", timeout=2)
    except (OSError, ValueError, IndexError):
        return None
    return tuple(answer.get("Implements") or ()) if status == 200 else None


def start_gluster_volume(pool: gluster.Pool, *, wait: float = 15) -> PluginRecord:
    """The pool's volume driver, served (idempotent). Refused if another lab serves that driver name."""
    return _start(pool.driver, pool.lab, "gluster-volume", wait=wait)


# the network plugins dockerctl serves: driver name → the module whose `serve_lab` answers for a lab (each
# model's driver.py, from the registry)
NETWORK_PLUGINS = registry.plugins()


def start_network(driver: str, lab: str, model: str, *, wait: float = 15) -> PluginRecord:
    """The lab's network + IPAM driver of `model`, served (idempotent)."""
    if driver not in NETWORK_PLUGINS:
        raise NotFound(f"dockerctl serves no network driver {driver}", where="--driver")
    return _start(driver, lab, f"{model}-network", wait=wait)


def _start(driver: str, lab: str, kind: str, *, wait: float) -> PluginRecord:
    sock = socket_path(driver)
    rec = _found(driver)  # an unreadable record with no process is written anew below
    if rec is not None and rec.damaged and rec.pid and rec.lab == lab:
        stop(driver)  # its process, found without its record: started again with a record of its own
        rec = None
    if rec is not None and running_pid(rec) is not None:
        if rec.lab != lab:
            raise Conflict(
                f"the plugin {driver} is served for lab {rec.lab}: `dockerctl down --lab {rec.lab}` first"
            )
        if implements(sock):
            return rec
        stop(driver)
    elif sock.exists() and (rec is None or rec.damaged) and implements(sock) is not None:
        raise Conflict(f"{sock} is served by a process dockerctl did not start: it is left alone")
    log = log_path(driver)
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "dockerctl", "plugin", "serve", "--lab", lab, "--driver", driver]
    rec = PluginRecord(driver, lab, kind, 0, str(sock))
    _save(rec)  # before the process exists: `down` finds it even if this run is killed now
    try:
        daemon = LocalHost().start_daemon(argv, log=log)
    except DockerctlError:
        stop(driver)
        raise
    rec.pid = daemon.pid
    _save(rec)

    def answers() -> bool:
        rec.implements = implements(sock) or ()
        return bool(rec.implements)

    if daemon.until(answers, wait):
        _save(rec)
        return rec
    tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
    stop(driver)
    raise EngineError(f"the plugin {driver} did not start: {tail}")


def stop(driver: str, *, wait: float = 10) -> bool:
    """End the driver's process (by its recorded pid, checked), remove its socket and record. A record
    that cannot be read does not stop this: its process is found by its command line and ended all the
    same (its socket is removed only then: with no process of ours, the socket is not known to be ours)."""
    rec = _found(driver)
    if rec is None:
        return False
    pid = running_pid(rec)
    if pid is not None:
        LocalHost().end(pid, lambda: running_pid(rec), wait=wait)
    if rec.socket and (pid is not None or not rec.damaged):
        Path(rec.socket).unlink(missing_ok=True)
    RECORDS.forget(driver)
    return True


def stop_lab(lab: str) -> list[str]:
    """End the lab's plugins. → the drivers stopped. A record that cannot be read and whose process is
    gone (which lab it was is not known) is removed as well: nothing can use it, and it would refuse the
    next lab that serves its driver."""
    return [r.driver for r in records() if (r.lab == lab or (r.damaged and not r.pid)) and stop(r.driver)]


def serve_forever(lab: str, driver: str) -> None:
    """The plugin process itself (`dockerctl plugin serve`): until SIGTERM."""
    import threading

    from dockerctl.plugins.server import serve

    def log(line: str) -> None:
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        sys.stderr.flush()

    stop_loop = threading.Event()
    app: PluginApp
    if driver in NETWORK_PLUGINS:
        app = importlib.import_module(NETWORK_PLUGINS[driver]).serve_lab(lab, log, stop_loop)
    else:
        from dockerctl.plugins.gluster_volume import app_for

        pool = gluster.load(lab)
        if pool is None:
            raise NotFound(
                f"lab {lab} has no storage pool: bring it up with `dockerctl play` first", where="--lab"
            )
        if pool.damaged:
            raise CorruptRecord(gluster.record_path(lab), pool.damaged)
        if pool.driver != driver:
            raise NotFound(f"lab {lab}'s pool is served as {pool.driver}, not {driver}", where="--driver")
        app = app_for(pool)

    def _stop(_signum: int, _frame: Any) -> None:
        stop_loop.set()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log(f"serving {driver} for lab {lab} on {socket_path(driver)}")
    serve(socket_path(driver), app, log=log)
