"""The weave network and IPAM driver (seed X1, X2, X12): a libnetwork remote plugin every host's engine
calls. `RequestPool` answers the lab's one range (the same subnet on every host); addresses come from the
calling host's allocation range, its gateway is the host's `weave` bridge. `CreateNetwork` makes the
host's part of the one L2 segment (fabric.py); `Join` a veth on the `weave` bridge."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any

from dockerctl.errors import DockerctlError
from dockerctl.hosts import NetnsHost
from dockerctl.netmodels.weave import fabric as weave
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError
from dockerctl.plugins.remote_net import LabNetDriver, network_app, no_model

GATEWAY_TYPE = "com.docker.network.gateway"


class WeaveDriver(LabNetDriver):
    what = "weave"
    STATE = ("addresses", "networks", "endpoints")  # host → [ip, …]; id → {host, mtu}; id → {host, network}

    VETH = ("vwe", "cwe", 10)

    def __init__(self, wl: weave.WeaveLab, log: Any = None) -> None:
        super().__init__(wl, log)
        self.wl = wl

    # -- IPAM ---------------------------------------------------------------------------------------
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

    def request_address(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        prefix = self.wl.prefixlen
        if (body.get("Options") or {}).get("RequestAddressType") == GATEWAY_TYPE:
            return {"Address": f"{self.wl.gateway(host)}/{prefix}", "Data": {}}
        alloc = ipaddress.IPv4Network(self.wl.allocation(host))
        with self.lock:
            where = f"{host}'s allocation range {alloc}"
            address = self.hand_out(host, alloc, body, where, frozenset({self.wl.gateway(host)}))
        return {"Address": f"{address}/{prefix}", "Data": {}}

    # -- network driver -----------------------------------------------------------------------------
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

    def join(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        net = self._network(body)
        inside = self.bridged_veth(host, str(body["EndpointID"]), int(net["mtu"]), weave.BRIDGE)
        return {"InterfaceName": {"SrcName": inside, "DstPrefix": "eth"}, "Gateway": self.wl.gateway(host)}


def serve_lab(lab: str, log: Callable[[str], None], stop: threading.Event) -> PluginApp:
    """What `dockerctl plugin serve --driver dockerctl-weave` answers with for the lab."""
    wl = weave.load(lab)
    if wl is None:
        raise no_model(lab, "weave")
    return network_app(WeaveDriver(wl, log=log))
