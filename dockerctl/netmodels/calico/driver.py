"""The calico network and IPAM driver (seed X1, X2, X13): a libnetwork remote plugin that answers the
engines of a lab's hosts the way calico's libnetwork plugin did, with the host side Felix programs.

- `IpamDriver.RequestPool` answers `0.0.0.0/0` with a dummy gateway (libnetwork then asks none);
  `RequestAddress` hands out a `/32` from the calling host's block (claimed in etcd).
- `NetworkDriver.Join` makes a veth `cali<endpoint>` (host end, MAC ee:ee:ee:ee:ee:ee, proxy ARP) /
  `temp<endpoint>` (moved into the sandbox by the engine) and answers the gateway 169.254.1.1 with a
  connected static route to it; the host gets `<ip>/32 dev cali… scope link`.
No bridge, no encapsulation: the host routes, BIRD tells the other hosts (fabric.py).
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any

from dockerctl.errors import DockerctlError
from dockerctl.fabric import etcd as etcd_mod
from dockerctl.hosts import NetnsHost
from dockerctl.netmodels.calico import fabric as calico
from dockerctl.netmodels.calico.section import GATEWAY
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError
from dockerctl.plugins.remote_net import LabNetDriver, network_app, no_model

POOL_ID = "CalicoPoolIPv4"  # calico's own fixed pool id
GATEWAY_TYPE = "com.docker.network.gateway"


class CalicoDriver(LabNetDriver):
    what = "calico"
    STATE = ("addresses", "endpoints")  # host → [ip, …] handed out; endpoint id → {host, ip}

    VETH = ("cali", "temp", 11)

    def __init__(self, cl: calico.CalicoLab, store: etcd_mod.EtcdClient, log: Any = None) -> None:
        super().__init__(cl, log)
        self.cl = cl
        self.store = store

    # -- IPAM ---------------------------------------------------------------------------------------
    def address_spaces(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {
            "LocalDefaultAddressSpace": "CalicoLocalAddressSpace",
            "GlobalDefaultAddressSpace": "CalicoGlobalAddressSpace",
        }

    def request_pool(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self._host(caller)
        if body.get("V6"):
            raise PluginError("the calico model here is IPv4 only")
        if body.get("Pool") or body.get("SubPool"):
            raise PluginError(f"addresses come from the calico pool {self.cl.pool}: leave --subnet out")
        # a dummy gateway: libnetwork then asks for none (the workloads' gateway is 169.254.1.1)
        return {"PoolID": POOL_ID, "Pool": "0.0.0.0/0", "Data": {GATEWAY_TYPE: "0.0.0.0/0"}}

    def request_address(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        if (body.get("Options") or {}).get("RequestAddressType") == GATEWAY_TYPE:
            raise PluginError(
                "calico IPAM does not hand out a gateway (the workloads' gateway is 169.254.1.1)"
            )
        with self.lock:
            try:
                block = ipaddress.IPv4Network(calico.claim_block(self.store, self.cl, host))
            except DockerctlError as exc:
                raise PluginError(exc.message) from None
            address = self.hand_out(host, block, body, f"{host}'s block {block}")
        return {"Address": f"{address}/32", "Data": {}}

    # -- network driver -----------------------------------------------------------------------------
    def create_network(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        for data in body.get("IPv4Data") or []:
            if data.get("Gateway") != "0.0.0.0/0":
                raise PluginError(
                    "a calico network needs the calico IPAM driver: --ipam-driver dockerctl-calico"
                )
        k = NetnsHost(host)
        # Felix's host settings: the host routes between workloads (and proxies ARP on their veths)
        k.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        # proxy ARP answers for 169.254.1.1 only if the host routes it out of another interface: a real
        # calico host's default route does; a simulated host has none (no traffic beyond this machine),
        # so it gets this one address on its switch port, where nothing is ever sent to it
        k.run(["ip", "route", "replace", f"{GATEWAY}/32", "dev", "eth0", "scope", "link"])
        return {}

    def delete_network(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {}

    def create_endpoint(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        address = str((body.get("Interface") or {}).get("Address") or "")
        if not address:
            raise PluginError("no address assigned for the endpoint (use --ipam-driver dockerctl-calico)")
        with self.lock:
            self.state["endpoints"][body["EndpointID"]] = {"host": host, "ip": address.split("/")[0]}
            self._save()
        return {"Interface": {}}

    def join(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        ep = self.state["endpoints"].get(str(body.get("EndpointID")))
        if ep is None:
            raise PluginError(f"endpoint {str(body.get('EndpointID'))[:12]} is not a calico endpoint here")
        cali, temp = self.veth_names(str(body["EndpointID"]))
        self.make_veth(host, str(body["EndpointID"]), [
            ["ip", "link", "add", cali, "type", "veth", "peer", "name", temp],
            ["ip", "link", "set", "dev", cali, "address", calico.HOST_MAC, "alias", self.tag, "up"],
            ["sysctl", "-qw", f"net.ipv4.conf.{cali}.proxy_arp=1"],
            ["ip", "route", "replace", f"{ep['ip']}/32", "dev", cali, "scope", "link"],
        ])  # fmt: skip
        return {
            "InterfaceName": {"SrcName": temp, "DstPrefix": "eth"},
            "Gateway": GATEWAY,
            "StaticRoutes": [{"Destination": f"{GATEWAY}/32", "RouteType": 1, "NextHop": ""}],
        }


def serve_lab(lab: str, log: Callable[[str], None], stop: threading.Event) -> PluginApp:
    """What `dockerctl plugin serve --driver dockerctl-calico` answers with for the lab."""
    cl = calico.load(lab)
    if cl is None:
        raise no_model(lab, "calico")
    return network_app(CalicoDriver(cl, etcd_mod.Etcd(lab).client(), log=log))
