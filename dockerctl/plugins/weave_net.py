"""The weave network and IPAM driver (seed X1, X2, X12): a libnetwork remote plugin every host's engine
calls. `RequestPool` answers the lab's one range (the same subnet on every host); addresses come from the
calling host's allocation range, its gateway is the host's `weave` bridge. `CreateNetwork` makes the
host's part of the one L2 segment (fabric/weave.py); `Join` a veth on the `weave` bridge."""

from __future__ import annotations

import ipaddress
import json
import threading
from typing import Any

from dockerctl.errors import DockerctlError
from dockerctl.fabric import weave
from dockerctl.fabric.hostlinks import alias
from dockerctl.hosts import NetnsHost
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError
from dockerctl.plugins.remote_net import CallerHosts, network_app

GATEWAY_TYPE = "com.docker.network.gateway"


def veth_names(endpoint_id: str) -> tuple[str, str]:
    return f"vwe{endpoint_id[:10]}", f"cwe{endpoint_id[:10]}"


class WeaveDriver:
    def __init__(self, wl: weave.WeaveLab, log: Any = None) -> None:
        self.wl = wl
        self.log = log or (lambda _m: None)
        self.lock = threading.RLock()
        self.callers = CallerHosts(wl.lab, list(wl.hosts), "weave")
        self.tag = alias(wl.lab)
        self.state_file = wl.dir / "plugin-state.json"
        try:
            self.state: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            self.state = {}
        self.state.setdefault("addresses", {})  # host → [ip, …]
        self.state.setdefault("networks", {})  # network id → {host, mtu}
        self.state.setdefault("endpoints", {})  # endpoint id → {host, network}

    def _save(self) -> None:
        self.wl.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, sort_keys=True, indent=1))
        tmp.replace(self.state_file)

    def _host(self, caller: Caller) -> str:
        return self.callers.of(caller)

    # -- IPAM ---------------------------------------------------------------------------------------
    def ipam_capabilities(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"RequiresMACAddress": False}

    def address_spaces(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"LocalDefaultAddressSpace": "weave-local", "GlobalDefaultAddressSpace": "weave-global"}

    def request_pool(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        if body.get("V6"):
            raise PluginError("the weave model here is IPv4 only")
        wanted = body.get("Pool") or ""
        if wanted and ipaddress.ip_network(wanted) != ipaddress.ip_network(self.wl.ip_range):
            raise PluginError(f"weave's range is {self.wl.ip_range} on every host: leave --subnet out")
        return {"PoolID": f"{host}/{self.wl.ip_range}", "Pool": self.wl.ip_range, "Data": {}}

    def release_pool(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {}

    def request_address(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        prefix = self.wl.prefixlen
        if (body.get("Options") or {}).get("RequestAddressType") == GATEWAY_TYPE:
            return {"Address": f"{self.wl.gateway(host)}/{prefix}", "Data": {}}
        alloc = ipaddress.IPv4Network(self.wl.allocation(host))
        with self.lock:
            taken = set(self.state["addresses"].setdefault(host, [])) | {self.wl.gateway(host)}
            if body.get("Address"):
                address = str(body["Address"])
                if ipaddress.ip_address(address) not in alloc or address in taken:
                    raise PluginError(f"{address} is not a free address of {host}'s allocation range {alloc}")
            else:
                address = next((str(ip) for ip in alloc.hosts() if str(ip) not in taken), "")
                if not address:
                    raise PluginError(f"{host}'s allocation range {alloc} is full")
            self.state["addresses"][host].append(address)
            self._save()
        return {"Address": f"{address}/{prefix}", "Data": {}}

    def release_address(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            for ips in self.state["addresses"].values():
                if body.get("Address") in ips:
                    ips.remove(body["Address"])
            self._save()
        return {}

    # -- network driver -----------------------------------------------------------------------------
    def net_capabilities(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"Scope": "local", "ConnectivityScope": "global"}

    def create_network(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        with self.lock:
            try:
                mtu = weave.ensure_segment(NetnsHost(host), self.wl, host, self.tag)
            except DockerctlError as exc:
                raise PluginError(exc.message) from None
            self.state["networks"][body["NetworkID"]] = {"host": host, "mtu": mtu}
            self._save()
        return {}

    def delete_network(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            net = self.state["networks"].pop(str(body.get("NetworkID")), None)
            if net is not None and not any(n["host"] == net["host"] for n in self.state["networks"].values()):
                weave.remove_segment(NetnsHost(net["host"]))
            self._save()
        return {}

    def create_endpoint(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        with self.lock:
            self.state["endpoints"][body["EndpointID"]] = {"host": host, "network": body.get("NetworkID")}
            self._save()
        return {"Interface": {}}

    def delete_endpoint(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            ep = self.state["endpoints"].pop(str(body.get("EndpointID")), None)
            if ep is not None:
                NetnsHost(ep["host"]).run(
                    ["ip", "link", "del", "dev", veth_names(str(body["EndpointID"]))[0]]
                )
            self._save()
        return {}

    def endpoint_info(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"Value": dict(self.state["endpoints"].get(str(body.get("EndpointID"))) or {})}

    def join(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        net = self.state["networks"].get(str(body.get("NetworkID")))
        if net is None:
            raise PluginError(f"network {str(body.get('NetworkID'))[:12]} is not a weave network here")
        outside, inside = veth_names(str(body["EndpointID"]))
        k = NetnsHost(host)
        k.run(["ip", "link", "del", "dev", outside])
        mtu = str(net["mtu"])
        for argv in (
            ["ip", "link", "add", outside, "mtu", mtu, "type", "veth", "peer", "name", inside, "mtu", mtu],
            ["ip", "link", "set", "dev", outside, "alias", self.tag, "master", weave.BRIDGE, "up"],
        ):
            done = k.run(argv)
            if not done.ok:
                k.run(["ip", "link", "del", "dev", outside])
                raise PluginError(f"{host}: `{' '.join(argv)}` failed: {done.stderr.strip()}")
        return {"InterfaceName": {"SrcName": inside, "DstPrefix": "eth"}, "Gateway": self.wl.gateway(host)}

    def leave(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        ep = self.state["endpoints"].get(str(body.get("EndpointID")))
        if ep is not None:
            NetnsHost(ep["host"]).run(["ip", "link", "del", "dev", veth_names(str(body["EndpointID"]))[0]])
        return {}

    def nothing(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {}


def app_for(driver: WeaveDriver) -> PluginApp:
    return network_app(driver)
