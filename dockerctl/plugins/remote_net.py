"""The remote network + IPAM driver interface every dockerctl network plugin answers (libnetwork's
`drivers/remote/api` and `ipams/remote/api`): one table from the engine's calls to the driver's methods,
and one base (`LabNetDriver`) for what they all do alike, so the network models' drivers
(netmodels/<m>/driver.py) differ only in what they do."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from dockerctl.errors import NotFound
from dockerctl.fabric.hostlinks import alias
from dockerctl.hosts import NetnsHost
from dockerctl.hosts.paths import NETNS_DIR, write_json
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError

CALLS = {
    "/IpamDriver.GetCapabilities": "ipam_capabilities",
    "/IpamDriver.GetDefaultAddressSpaces": "address_spaces",
    "/IpamDriver.RequestPool": "request_pool",
    "/IpamDriver.ReleasePool": "release_pool",
    "/IpamDriver.RequestAddress": "request_address",
    "/IpamDriver.ReleaseAddress": "release_address",
    "/NetworkDriver.GetCapabilities": "net_capabilities",
    "/NetworkDriver.CreateNetwork": "create_network",
    "/NetworkDriver.DeleteNetwork": "delete_network",
    "/NetworkDriver.CreateEndpoint": "create_endpoint",
    "/NetworkDriver.DeleteEndpoint": "delete_endpoint",
    "/NetworkDriver.EndpointOperInfo": "endpoint_info",
    "/NetworkDriver.Join": "join",
    "/NetworkDriver.Leave": "leave",
    "/NetworkDriver.ProgramExternalConnectivity": "nothing",
    "/NetworkDriver.RevokeExternalConnectivity": "nothing",
    "/NetworkDriver.DiscoverNew": "nothing",
    "/NetworkDriver.DiscoverDelete": "nothing",
}


def network_app(driver: Any) -> PluginApp:
    """A PluginApp that answers every call of CALLS with the driver's method of that name."""
    app = PluginApp(["NetworkDriver", "IpamDriver"])
    for path, method in CALLS.items():
        app.route(path, getattr(driver, method))
    return app


def no_model(lab: str, model: str) -> NotFound:
    return NotFound(
        f"lab {lab} has no {model} network: bring it up with `dockerctl play` first", where="--lab"
    )


class CallerHosts:
    """Which lab host an engine is, by the network namespace it calls from (every engine on this
    machine finds the same plugin socket; server.py gives each call its caller's namespace)."""

    def __init__(self, lab: str, hosts: list[str], what: str) -> None:
        self.lab, self.hosts, self.what = lab, hosts, what
        self._by_inode: dict[int, str] = {}

    def of(self, caller: Caller) -> str:
        if caller.netns not in self._by_inode:
            for name in self.hosts:
                with contextlib.suppress(OSError):
                    self._by_inode[os.stat(f"{NETNS_DIR}/{name}").st_ino] = name
        host = self._by_inode.get(caller.netns)
        if host is None:
            raise PluginError(
                f"this engine (pid {caller.pid}) is not a {self.what} host of lab {self.lab}; its hosts are "
                f"{', '.join(self.hosts)}"
            )
        return host


class ModelLab(Protocol):
    """What a driver reads of its model's lab record."""

    @property
    def lab(self) -> str: ...

    @property
    def hosts(self) -> dict[str, str]: ...

    @property
    def dir(self) -> Path: ...


class LabNetDriver:
    """What every lab network plugin does the same way, so a model's driver holds only what is its own:
    which host calls (`CallerHosts`), the plugin's state on disk (`plugin-state.json` in the model's lab
    directory, written whole and atomically, so a restarted plugin answers the engine's later calls), the
    veth pair a Join makes (a leftover of an interrupted Join removed first, the pair removed again when a
    step fails), and the calls whose answer does not depend on the model."""

    what = ""  # the model's name, for messages
    STATE: tuple[str, ...] = ("addresses", "endpoints")  # the state's top-level tables
    VETH = ("", "", 10)  # veth names: (host end's prefix, container end's prefix, endpoint id characters)

    def __init__(self, record: ModelLab, log: Callable[[str], None] | None) -> None:
        self.log: Callable[[str], None] = log or (lambda _m: None)
        self.lock = threading.RLock()
        self.callers = CallerHosts(record.lab, list(record.hosts), self.what)
        self.tag = alias(record.lab)
        self.dir = record.dir
        self.state_file = record.dir / "plugin-state.json"
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            data = {}
        state: dict[str, Any] = data if isinstance(data, dict) else {}
        for table in self.STATE:
            state.setdefault(table, {})
        self.state = state

    def _save(self) -> None:
        write_json(self.state_file, self.state, indent=1)

    def _host(self, caller: Caller) -> str:
        return self.callers.of(caller)

    def kernel(self, host: str) -> NetnsHost:
        return NetnsHost(host)

    @classmethod
    def veth_names(cls, endpoint_id: str) -> tuple[str, str]:
        """(host end, container end before the engine renames it) — at most 15 characters each."""
        host_end, peer, n = cls.VETH
        return f"{host_end}{endpoint_id[:n]}", f"{peer}{endpoint_id[:n]}"

    def hand_out(self, host: str, within: ipaddress.IPv4Network, body: dict[str, Any], where: str,
                 reserved: frozenset[str] = frozenset()) -> str:  # fmt: skip
        """An address of `within` for a RequestAddress (the one it asks for, when free), recorded in the
        host's `addresses`; `reserved` is never handed out. Call it with the lock held."""
        taken = set(self.state["addresses"].setdefault(host, [])) | reserved
        address = pick_address(within.hosts(), within, taken, str(body.get("Address") or ""), where)
        self.state["addresses"][host].append(address)
        self._save()
        return address

    def make_veth(self, host: str, endpoint_id: str, steps: list[list[str]]) -> tuple[str, str]:
        """Run `steps` (the first makes the pair) on the host; on a failure the pair goes again."""
        host_end, peer = self.veth_names(endpoint_id)
        k = self.kernel(host)
        k.run(["ip", "link", "del", "dev", host_end])  # a leftover of an interrupted Join
        for argv in steps:
            done = k.run(argv)
            if not done.ok:
                k.run(["ip", "link", "del", "dev", host_end])
                raise PluginError(f"{host}: `{' '.join(argv)}` failed: {done.stderr.strip()}")
        return host_end, peer

    def bridged_veth(self, host: str, endpoint_id: str, mtu: int, bridge: str) -> str:
        """A veth pair of `mtu` whose host end is on `bridge`, tagged as the lab's. → the container end."""
        host_end, peer = self.veth_names(endpoint_id)
        m = str(mtu)
        self.make_veth(host, endpoint_id, [
            ["ip", "link", "add", host_end, "mtu", m, "type", "veth", "peer", "name", peer, "mtu", m],
            ["ip", "link", "set", "dev", host_end, "alias", self.tag, "master", bridge, "up"],
        ])  # fmt: skip
        return peer

    def _network(self, body: dict[str, Any]) -> dict[str, Any]:
        net: dict[str, Any] | None = self.state["networks"].get(str(body.get("NetworkID")))
        if net is None:
            raise PluginError(f"network {str(body.get('NetworkID'))[:12]} is not a {self.what} network here")
        return net

    def _drop_veth(self, endpoint_id: str) -> None:
        ep = self.state["endpoints"].get(endpoint_id)
        if ep is not None:
            self.kernel(ep["host"]).run(["ip", "link", "del", "dev", self.veth_names(endpoint_id)[0]])

    def _endpoint(self, body: dict[str, Any]) -> str:
        return str(body.get("EndpointID"))

    # -- the calls every model answers alike --------------------------------------------------------
    def ipam_capabilities(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"RequiresMACAddress": False}

    def net_capabilities(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"Scope": "local", "ConnectivityScope": "global"}

    def release_pool(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {}

    def release_address(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        """Addresses are kept per host (`addresses`: host → [ip, …])."""
        with self.lock:
            for ips in self.state["addresses"].values():
                if body.get("Address") in ips:
                    ips.remove(body["Address"])
            self._save()
        return {}

    def endpoint_info(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"Value": dict(self.state["endpoints"].get(self._endpoint(body)) or {})}

    def delete_endpoint(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            self._drop_veth(self._endpoint(body))
            self.state["endpoints"].pop(self._endpoint(body), None)
            self._save()
        return {}

    def leave(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        self._drop_veth(self._endpoint(body))
        return {}

    def nothing(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {}


def pick_address(
    candidates: Iterable[ipaddress.IPv4Address],
    within: ipaddress.IPv4Network,
    taken: set[str],
    wanted: str,
    where: str,
) -> str:
    """The address a RequestAddress gets: `wanted` when it is free and `within`, else the first free
    candidate. where: what the range is, for the error ("h1's block 10.7.1.0/26")."""
    if wanted:
        if ipaddress.ip_address(wanted) not in within or wanted in taken:
            raise PluginError(f"{wanted} is not a free address of {where}")
        return wanted
    address = next((str(ip) for ip in candidates if str(ip) not in taken), "")
    if not address:
        raise PluginError(f"{where} is full")
    return address
