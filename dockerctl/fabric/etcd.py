"""A lab's etcd (Debian's `etcd-server`, v3 API): the store the network models that need one keep their
state in (a model's `uses_etcd`: its network config and leases, its IPAM blocks; seed X11, X13). One
etcd per lab, started by dockerctl, its data under `$STATE/etcd/<lab>`. The process is the lab's while
its command line names that data directory; nothing else is ever signalled.

etcd has no authentication here, and root programs what it holds into the labs' kernels (routes, FDB
entries), so only root may reach it: it listens on unix sockets only — clients and its one peer — in the
private runtime directory `<state>/run/etcd/<lab>` (root's, 0700, checked: hosts/state.py `runtime_dir`).
No TCP port at all, so none to squat after a restart and none a local user can connect to. etcd takes a
unix URL as `unix://host:port` with no path and binds that name relative to its working directory
(etcd 3.4 `pkg/types.NewURLs`, `pkg/transport.NewUnixListener`), so it is started in that directory and
its sockets are `client.sock:0` and `peer.sock:0` there. Processes in the labs' network namespaces reach a
unix socket through the filesystem all the same.

The client speaks etcd's v3 JSON gateway (`POST /v3/kv/range|put|deleterange`, `/v3/lease/grant|
keepalive|revoke|timetolive`, keys and values base64) with `http.client` over that socket, and checks the
peer it reached is root's (SO_PEERCRED): no gRPC stack for a handful of calls. `etcdctl` (Debian's
`etcd-client`) reads the same keys with `--endpoints unix://<state>/run/etcd/<lab>/client.sock:0`.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import shutil
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockerctl.errors import EngineError, EngineUnavailable
from dockerctl.hosts import LocalHost, state
from dockerctl.hosts.paths import InDir, secure_dir

CLIENT_SOCKET = "client.sock:0"  # etcd's unix URL is host:port-shaped: the ":0" is part of the file's name
PEER_SOCKET = "peer.sock:0"
SUN_PATH_MAX = 107  # bytes of a unix socket's path (sun_path is 108 with its NUL)


# where it listens, for people (dockerctl never connects where a record says): `<state>/etcd/<lab>/etcd.json`
RECORDS: state.Records[dict[str, Any]] = state.Records(
    "etcd record", state.ETCD, dict, dict, name="{}/etcd.json", lab=str
)


def _run() -> Path:
    """Where every lab's etcd sockets live: `<state>/run/etcd`, root's and 0700 (checked)."""
    return state.runtime_dir("etcd")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(text: str) -> str:
    return base64.b64decode(text).decode()


def prefix_end(prefix: str) -> str:
    """etcd's range end for every key starting with `prefix` (its last byte plus one)."""
    raw = prefix.encode()
    return (raw[:-1] + bytes([raw[-1] + 1])).decode()


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: str
    lease: int  # 0: none


def _connect_unix(path: Path, timeout: float) -> socket.socket:
    """A stream socket connected to the unix socket at `path`, whose listener must be this process's
    own user (root): SO_PEERCRED, read once connected. A path longer than sun_path is reached through its
    directory's descriptor (`/proc/self/fd/N/<name>`)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        if len(os.fsencode(path)) <= SUN_PATH_MAX:
            sock.connect(str(path))
        else:
            dirfd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
            try:
                sock.connect(f"/proc/self/fd/{dirfd}/{path.name}")
            finally:
                os.close(dirfd)
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        if uid != os.geteuid():
            raise PermissionError(f"{path} is served by uid {uid}, not uid {os.geteuid()}")
    except BaseException:
        sock.close()
        raise
    return sock


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 to a server on a unix socket (the Host header is only a name)."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = _connect_unix(self.socket_path, float(self.timeout or 5))


class EtcdClient:
    """The v3 JSON gateway of one etcd, on its unix socket. Every failure is one EngineUnavailable/
    EngineError sentence."""

    def __init__(self, socket_path: Path, timeout: float = 5) -> None:
        self.socket_path = socket_path
        self.url = f"unix://{socket_path}"
        self.timeout = timeout

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None, timeout: float
    ) -> tuple[int, str]:
        conn = _UnixHTTPConnection(self.socket_path, timeout)
        try:
            data = None if body is None else json.dumps(body)
            headers = {} if body is None else {"Content-Type": "application/json"}
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            status, text = self._request("POST", path, body, self.timeout)
        except (OSError, http.client.HTTPException) as exc:
            why = str(exc) if isinstance(exc, PermissionError) else type(exc).__name__  # whose socket it is
            raise EngineUnavailable(f"etcd at {self.url} does not answer ({why})") from None
        if status != 200:
            raise EngineError(f"etcd {path} failed ({status}): {text[:300]}")
        try:
            answer: dict[str, Any] = json.loads(text)
        except ValueError:
            raise EngineError(f"etcd {path} answered with no JSON: {text[:300]}") from None
        return answer

    def get_prefix(self, prefix: str) -> list[KeyValue]:
        answer = self._post("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix))})
        return [
            KeyValue(_unb64(kv["key"]), _unb64(kv.get("value", "")), int(kv.get("lease") or 0))
            for kv in answer.get("kvs") or []
        ]

    def get(self, key: str) -> str | None:
        answer = self._post("/v3/kv/range", {"key": _b64(key)})
        kvs = answer.get("kvs") or []
        return _unb64(kvs[0].get("value", "")) if kvs else None

    def put(self, key: str, value: str, *, lease: int = 0) -> None:
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            body["lease"] = str(lease)
        self._post("/v3/kv/put", body)

    def put_if_absent(self, key: str, value: str, *, lease: int = 0) -> bool:
        """Create `key` only if no one has (a transaction on its create revision). → created."""
        put: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            put["lease"] = str(lease)
        answer = self._post(
            "/v3/kv/txn",
            {
                "compare": [
                    {"key": _b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}
                ],
                "success": [{"request_put": put}],
            },
        )
        return bool(answer.get("succeeded"))

    def delete(self, key: str) -> int:
        return int(self._post("/v3/kv/deleterange", {"key": _b64(key)}).get("deleted") or 0)

    def grant(self, ttl: int) -> int:
        return int(self._post("/v3/lease/grant", {"TTL": str(ttl)})["ID"])

    def keepalive(self, lease: int) -> int:
        """Renew a lease. → its TTL now (0 or less: the lease is gone)."""
        answer = self._post("/v3/lease/keepalive", {"ID": str(lease)})
        return int((answer.get("result") or {}).get("TTL") or 0)

    def time_to_live(self, lease: int) -> tuple[int, int]:
        """→ (seconds left, granted TTL); (-1, 0) when the lease is gone."""
        answer = self._post("/v3/lease/timetolive", {"ID": str(lease)})
        return int(answer.get("TTL") or -1), int(answer.get("grantedTTL") or 0)

    def revoke(self, lease: int) -> None:
        with contextlib.suppress(EngineError):  # a lease already gone is fine
            self._post("/v3/lease/revoke", {"ID": str(lease)})

    def healthy(self) -> bool:
        try:
            status, text = self._request("GET", "/health", None, 2)
        except (OSError, http.client.HTTPException):
            return False
        return status == 200 and '"true"' in text.replace(" ", "")


@dataclass(frozen=True)
class Etcd:
    """One lab's etcd: its data, pid file, log and record (`etcd.json`: it was started, and where it
    listens — for people; dockerctl never connects where a record says) under `$STATE/etcd/<lab>`, its
    sockets in the private `<state>/run/etcd/<lab>`."""

    lab: str

    @property
    def dir(self) -> Path:
        return RECORDS.dir(self.lab)

    record = InDir("etcd.json")

    def run_dir(self) -> Path:
        """The directory of its sockets, made if missing and checked: root's, 0700 at every step."""
        return state.runtime_dir("etcd", self.lab)

    @property
    def socket_path(self) -> Path:
        """Its client socket (the directory checked), once dockerctl has started it."""
        if not self.record.exists():
            raise EngineUnavailable(f"lab {self.lab} has no etcd (bring the lab up with `dockerctl play`)")
        return self.run_dir() / CLIENT_SOCKET

    @property
    def url(self) -> str:
        """Its client endpoint as etcdctl takes it (`--endpoints`)."""
        return f"unix://{self.socket_path}"

    def client(self) -> EtcdClient:
        return EtcdClient(self.socket_path)

    def pid(self) -> int | None:
        """The lab's etcd process, if it runs (pid file checked against its command line)."""
        return LocalHost().owned_pid(str(self.dir / "etcd.pid"), "etcd", str(self.dir / "data"))


def argv(etcd: Etcd, run: Path) -> list[str]:
    """The command that runs the lab's etcd in `run` (its sockets' directory, which it binds relative to):
    unix sockets only, for clients and for its one peer — no TCP listener at all."""
    name = f"dctl-{etcd.lab}"
    client, peer = f"unix://{CLIENT_SOCKET}", f"unix://{PEER_SOCKET}"
    return [
        "env", "-C", str(run), "--",  # coreutils env: chdir, then exec etcd (the same pid)
        "etcd",
        "--name", name,
        "--data-dir", str(etcd.dir / "data"),
        "--listen-client-urls", client,
        "--advertise-client-urls", client,
        "--listen-peer-urls", peer,
        "--initial-advertise-peer-urls", peer,
        "--initial-cluster", f"{name}={peer}",
        "--log-outputs", "stderr",
    ]  # fmt: skip


def start(etcd: Etcd, *, wait: float = 20) -> EtcdClient:
    """The lab's etcd, running and answering on its unix socket (idempotent). → its client."""
    if shutil.which("etcd") is None:
        raise EngineUnavailable(
            "etcd is not installed on this machine", hint="scripts/setup installs it (Debian: etcd-server)"
        )
    if etcd.pid() is not None and etcd.record.exists() and etcd.client().healthy():
        return etcd.client()
    # one that runs but does not answer on its socket (an older dockerctl's, on TCP) is ended first
    stop(etcd, keep_data=True)
    secure_dir(state.made(state.ETCD) / etcd.lab, private=False)
    run = etcd.run_dir()
    for name in (CLIENT_SOCKET, PEER_SOCKET):
        with contextlib.suppress(FileNotFoundError):
            (run / name).unlink()  # a socket a killed etcd left behind
    listens = {"client": f"unix://{run / CLIENT_SOCKET}", "peer": f"unix://{run / PEER_SOCKET}"}
    RECORDS.save(etcd.lab, listens)
    daemon = LocalHost().start_daemon(argv(etcd, run), log=etcd.dir / "etcd.log")
    (etcd.dir / "etcd.pid").write_text(f"{daemon.pid}\n")
    client = etcd.client()
    if daemon.until(client.healthy, wait, every=0.2):
        return client
    tail = (etcd.dir / "etcd.log").read_text(errors="replace")[-600:]
    stop(etcd, keep_data=True)
    raise EngineUnavailable(f"lab {etcd.lab}'s etcd did not answer within {wait:g}s: {tail}")


def stop(etcd: Etcd, *, keep_data: bool = False, wait: float = 10) -> bool:
    """End the lab's etcd (by its pid file, checked); its data and sockets go too unless keep_data.
    → it ran."""
    pid = etcd.pid()
    if pid is not None:
        LocalHost().end(pid, etcd.pid, wait=wait)
    if not keep_data:
        shutil.rmtree(etcd.dir, ignore_errors=True)
        shutil.rmtree(_run() / etcd.lab, ignore_errors=True)
    return pid is not None
