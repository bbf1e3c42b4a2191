"""The remote network + IPAM driver interface every dockerctl network plugin answers (libnetwork's
`drivers/remote/api` and `ipams/remote/api`): one table from the engine's calls to the driver's methods,
so flannel's, calico's and weave's drivers differ only in what they do."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from dockerctl.hosts.paths import NETNS_DIR
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
