"""A lab's etcd (Debian's `etcd-server`, v3 API): the store flannel keeps its network config and leases in
(seed X11). One etcd per lab, started by dockerctl, listening on loopback only (client and peer ports
picked free), its data under `$STATE/etcd/<lab>`. The process is the lab's while its command line names
that data directory; nothing else is ever signalled.

The client speaks etcd's v3 JSON gateway (`POST /v3/kv/range|put|deleterange`, `/v3/lease/grant|
keepalive|revoke|timetolive`, keys and values base64) with `requests`, which docker-py brings already:
no gRPC stack for a handful of calls. `etcdctl` (Debian's `etcd-client`) reads the same keys.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from dockerctl.errors import EngineError, EngineUnavailable
from dockerctl.hosts import LocalHost
from dockerctl.hosts.paths import InDir, state_dir


def _state() -> Path:
    return state_dir() / "etcd"


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


class EtcdClient:
    """The v3 JSON gateway of one etcd. Every failure is one EngineUnavailable/EngineError sentence."""

    def __init__(self, url: str, timeout: float = 5) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            r = requests.post(self.url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise EngineUnavailable(f"etcd at {self.url} does not answer ({type(exc).__name__})") from None
        if r.status_code != 200:
            raise EngineError(f"etcd {path} failed ({r.status_code}): {r.text[:300]}")
        answer: dict[str, Any] = r.json()
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
            r = requests.get(self.url + "/health", timeout=2)
        except requests.RequestException:
            return False
        return r.status_code == 200 and '"true"' in r.text.replace(" ", "")


@dataclass(frozen=True)
class Etcd:
    """One lab's etcd: where it keeps its data and what it listens on (recorded in `etcd.json`)."""

    lab: str

    @property
    def dir(self) -> Path:
        return _state() / self.lab

    record = InDir("etcd.json")

    def ports(self) -> tuple[int, int] | None:
        try:
            data = json.loads(self.record.read_text())
            return int(data["client"]), int(data["peer"])
        except (OSError, ValueError, KeyError):
            return None

    @property
    def url(self) -> str:
        ports = self.ports()
        if ports is None:
            raise EngineUnavailable(f"lab {self.lab} has no etcd (bring the lab up with `dockerctl play`)")
        return f"http://127.0.0.1:{ports[0]}"

    def client(self) -> EtcdClient:
        return EtcdClient(self.url)

    def pid(self) -> int | None:
        """The lab's etcd process, if it runs (pid file checked against its command line)."""
        return LocalHost().owned_pid(str(self.dir / "etcd.pid"), "etcd", str(self.dir / "data"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(etcd: Etcd, *, wait: float = 20) -> EtcdClient:
    """The lab's etcd, running and answering (idempotent). → its client."""
    if shutil.which("etcd") is None:
        raise EngineUnavailable(
            "etcd is not installed on this machine", hint="scripts/setup installs it (Debian: etcd-server)"
        )
    if etcd.pid() is not None and etcd.client().healthy():
        return etcd.client()
    stop(etcd, keep_data=True)
    etcd.dir.mkdir(parents=True, exist_ok=True)
    client_port, peer_port = etcd.ports() or (_free_port(), _free_port())
    etcd.record.write_text(json.dumps({"client": client_port, "peer": peer_port}))
    name = f"dctl-{etcd.lab}"
    argv = [
        "etcd",
        "--name", name,
        "--data-dir", str(etcd.dir / "data"),
        "--listen-client-urls", f"http://127.0.0.1:{client_port}",
        "--advertise-client-urls", f"http://127.0.0.1:{client_port}",
        "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
        "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
        "--initial-cluster", f"{name}=http://127.0.0.1:{peer_port}",
        "--log-outputs", "stderr",
    ]  # fmt: skip
    proc = LocalHost().spawn(argv, log=etcd.dir / "etcd.log")
    (etcd.dir / "etcd.pid").write_text(f"{proc.pid}\n")
    client = etcd.client()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if client.healthy():
            return client
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = (etcd.dir / "etcd.log").read_text(errors="replace")[-600:]
    stop(etcd, keep_data=True)
    raise EngineUnavailable(f"lab {etcd.lab}'s etcd did not answer within {wait:g}s: {tail}")


def stop(etcd: Etcd, *, keep_data: bool = False, wait: float = 10) -> bool:
    """End the lab's etcd (by its pid file, checked); its data goes too unless keep_data. → it ran."""
    pid = etcd.pid()
    if pid is not None:
        LocalHost().end(pid, etcd.pid, wait=wait)
    if not keep_data:
        shutil.rmtree(etcd.dir, ignore_errors=True)
    return pid is not None
