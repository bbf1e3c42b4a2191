"""The GlusterFS volume driver (seed V1, V2): the course's commands, verbatim, on every host of a pool —

    docker volume create --driver dockerctl-gluster --name=xxxdata --opt=size=2
    docker run -v xxxdata:/var/lib/data …

A docker volume is one replicated GlusterFS volume across the pool's hosts; `size` (GB, as in the course)
is the size of each brick's own filesystem, so a write beyond it fails with "no space left" — enforced,
not a number kept somewhere. It is mounted (FUSE, on the calling engine's host) when the first container
using it starts and unmounted when the last one stops. Which host calls is known from the engine's
network namespace (see server.py); an engine that is not a host of the pool is told so.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from dockerctl.errors import DockerctlError, InvalidInput
from dockerctl.fabric import gluster
from dockerctl.hosts.paths import NETNS_DIR, write_json
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError
from dockerctl.spec.storage import volume_size_gb

NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # what GlusterFS accepts as a volume name


def parse_options(opts: dict[str, Any] | None) -> float:
    """The volume's options → its size in GB (the playbook's own check, answered as the protocol's Err)."""
    try:
        return volume_size_gb(opts)
    except InvalidInput as exc:
        raise PluginError(exc.message) from None


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise PluginError(
            f"volume name {name!r}: GlusterFS takes letters, digits, '_' and '-' (at most 100), no '.'"
        )
    return name


class GlusterVolumeDriver:
    """VolumeDriver.* for one lab's pool. Mount counts are kept on disk: a restarted plugin knows them."""

    def __init__(self, pool: gluster.Pool) -> None:
        self.pool = pool
        self.lock = threading.RLock()
        self._netns: dict[int, str] = {}

    # -- who calls ----------------------------------------------------------------------------------
    def host_of(self, caller: Caller) -> str | None:
        if not self._netns or caller.netns not in self._netns:
            import os

            for h in self.pool.hosts:
                try:
                    self._netns[os.stat(f"{NETNS_DIR}/{h.name}").st_ino] = h.name
                except OSError:
                    continue
        return self._netns.get(caller.netns)

    def _host(self, caller: Caller) -> str:
        host = self.host_of(caller)
        if host is None:
            names = ", ".join(h.name for h in self.pool.hosts)
            raise PluginError(
                f"this engine (pid {caller.pid}) is not a host of lab {self.pool.lab}'s storage pool; "
                f"its hosts are {names}: use the engine of one of them (e.g. -H unix:///run/dctl-{self.pool.hosts[0].name}.sock)"
            )
        return host

    # -- mount counts --------------------------------------------------------------------------------
    def _refs_file(self, host: str) -> Path:
        return self.pool.dir(host) / "mounts.json"

    def _refs(self, host: str) -> dict[str, list[str]]:
        try:
            data = json.loads(self._refs_file(host).read_text())
            return {k: list(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save_refs(self, host: str, refs: dict[str, list[str]]) -> None:
        write_json(self._refs_file(host), {k: v for k, v in refs.items() if v})

    # -- the calls -------------------------------------------------------------------------------
    def _status(self, info: gluster.VolumeInfo) -> dict[str, Any]:
        return {
            "driver": self.pool.driver,
            "size": f"{info.size_gb:g} GB (each brick's own filesystem)",
            "replica": info.replica,
            "bricks": info.bricks,
            "gluster status": info.status,
        }

    def create(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = check_name(body.get("Name"))
        self._host(caller)
        size = parse_options(body.get("Opts"))
        with self.lock:
            info = gluster.volume_info(self.pool, name)
            if info is not None and info.size_gb and abs(info.size_gb - size) > 1e-9 and body.get("Opts"):
                raise PluginError(
                    f"volume {name} exists with size={info.size_gb:g}; a volume's size is not changed "
                    "(remove it first: its data goes)"
                )
            try:
                gluster.create_volume(self.pool, name, size)
            except DockerctlError as exc:
                raise PluginError(exc.message) from None
        return {}

    def remove(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = check_name(body.get("Name"))
        self._host(caller)
        with self.lock:
            users = [h.name for h in self.pool.hosts if self._refs(h.name).get(name)]
            if users:
                raise PluginError(
                    f"volume {name} is mounted on {', '.join(users)}: stop its containers first"
                )
            try:
                gluster.delete_volume(self.pool, name)
            except DockerctlError as exc:
                raise PluginError(exc.message) from None
        return {}

    def mount(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = check_name(body.get("Name"))
        host = self._host(caller)
        with self.lock:
            if gluster.volume_info(self.pool, name, host=host) is None:
                raise PluginError(f"no such volume: {name}")
            try:
                point = gluster.mount(self.pool, host, name)
            except DockerctlError as exc:
                raise PluginError(exc.message) from None
            refs = self._refs(host)
            ids = refs.setdefault(name, [])
            ident = str(body.get("ID") or "")
            if ident not in ids:
                ids.append(ident)
            self._save_refs(host, refs)
        return {"Mountpoint": str(point)}

    def unmount(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = check_name(body.get("Name"))
        host = self._host(caller)
        with self.lock:
            refs = self._refs(host)
            ids = [i for i in refs.get(name, []) if i != str(body.get("ID") or "")]
            refs[name] = ids
            if not ids:
                gluster.unmount(self.pool, host, name)  # the last container using it on this host stopped
            self._save_refs(host, refs)
        return {}

    def path(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = check_name(body.get("Name"))
        host = self._host(caller)
        point = self.pool.mountpoint(host, name)
        return {"Mountpoint": str(point) if gluster.is_mounted(point) else ""}

    def get(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = check_name(body.get("Name"))
        host = self._host(caller)
        info = gluster.volume_info(self.pool, name, host=host)
        if info is None:
            raise PluginError(f"no such volume: {name}")
        point = self.pool.mountpoint(host, name)
        return {
            "Volume": {
                "Name": name,
                "Mountpoint": str(point) if gluster.is_mounted(point) else "",
                "Status": self._status(info),
            }
        }

    def list(self, _body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self.host_of(caller)
        if host is None:
            return {"Volumes": []}  # another engine on this machine: none of its volumes are here
        out = []
        for name in gluster.volume_names(self.pool, host=host):
            point = self.pool.mountpoint(host, name)
            out.append({"Name": name, "Mountpoint": str(point) if gluster.is_mounted(point) else ""})
        return {"Volumes": out}

    def capabilities(self, _body: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        return {"Capabilities": {"Scope": "global"}}  # one volume, the same data, on every host of the pool


def app_for(pool: gluster.Pool) -> PluginApp:
    driver = GlusterVolumeDriver(pool)
    app = PluginApp(["VolumeDriver"])
    for method, handler in (
        ("Create", driver.create),
        ("Remove", driver.remove),
        ("Mount", driver.mount),
        ("Unmount", driver.unmount),
        ("Path", driver.path),
        ("Get", driver.get),
        ("List", driver.list),
        ("Capabilities", driver.capabilities),
    ):
        app.route(f"/VolumeDriver.{method}", handler)
    return app
