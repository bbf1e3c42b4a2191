"""The flannel network and IPAM driver (seed X1, X2, X11): a libnetwork remote plugin that every engine of
a lab calls — `docker network create -d dockerctl-flannel --ipam-driver dockerctl-flannel NAME` on each
host — and that acts, for each of them, as that host's flanneld would:

- `IpamDriver.RequestPool` takes the host's lease in the lab's etcd (flannel's key layout, a TTL, renewed)
  and answers with its subnet; `RequestAddress` hands out the gateway (.1) and endpoints from it.
- `NetworkDriver.CreateNetwork` makes the host's bridge with the gateway address and, for vxlan,
  `flannel.1`; `Join` makes a veth pair whose container end the engine moves into the sandbox (CNM's
  sandbox, endpoint, network: X2).
- A loop reconciles every host's kernel with the leases in etcd once a second: a new lease adds its
  routes (and vxlan neighbour + FDB) on the other hosts; a deleted or expired one takes them away.
  It also renews the hosts' leases.

Which host calls is known from the engine's network namespace (server.py). The plugin's own state
(pools, addresses, endpoints) is kept on disk, so a restarted plugin answers the engine's later calls.
No NAT between subnets: the FORWARD rules accept the flannel network's traffic, nothing rewrites it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Callable
from typing import Any

from dockerctl.errors import DockerctlError
from dockerctl.fabric import etcd as etcd_mod
from dockerctl.netmodels.flannel import fabric as flannel
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError
from dockerctl.plugins.remote_net import LabNetDriver, network_app, no_model, pick_address

GATEWAY_TYPE = "com.docker.network.gateway"


def bridge_name(network_id: str) -> str:
    return f"flb-{network_id[:10]}"


class FlannelDriver(LabNetDriver):
    what = "flannel"
    # host → {subnet, id}; pool id → {host, subnet, addresses: [...]}; network id → {host, bridge, subnet,
    # gateway}; endpoint id → {host, network, address}
    STATE = ("leases", "pools", "networks", "endpoints")

    VETH = ("vfl", "cfl", 10)

    def __init__(self, fl: flannel.FlannelLab, store: etcd_mod.EtcdClient, log: Any = None) -> None:
        super().__init__(fl, log)
        self.fl = fl
        self.store = store

    def config(self) -> flannel.Config:
        text = self.store.get(flannel.CONFIG_KEY)
        if text is None:
            raise PluginError(f"no flannel config at {flannel.CONFIG_KEY} in lab {self.fl.lab}'s etcd")
        return flannel.Config.from_json(text)

    def leases(self) -> list[flannel.Lease]:
        out = []
        for kv in self.store.get_prefix(flannel.SUBNETS):
            lease = flannel.parse_lease(kv.key, kv.value, kv.lease)
            if lease is not None:
                out.append(lease)
        return out

    # -- IPAM ---------------------------------------------------------------------------------------
    def address_spaces(self, _b: dict[str, Any], _c: Caller) -> dict[str, Any]:
        return {"LocalDefaultAddressSpace": "flannel-local", "GlobalDefaultAddressSpace": "flannel-global"}

    def _acquire(self, host: str, config: flannel.Config) -> str:
        """The host's lease (its own again if it holds one), as flanneld takes it. → its subnet."""
        public_ip = self.fl.hosts[host]
        vtep_mac = ""
        if config.backend == "vxlan":
            vtep_mac = flannel.ensure_vxlan_device(self.kernel(host), config, public_ip, self.tag)
        for lease in self.leases():
            if lease.public_ip == public_ip:
                self.state["leases"][host] = {"subnet": lease.subnet, "id": lease.lease_id}
                self._program_own(host, config, lease.subnet)
                return lease.subnet
        for _ in range(10):
            subnet = flannel.free_subnet(config, [lease.subnet for lease in self.leases()])
            lease_id = self.store.grant(self.fl.lease_ttl)
            new = flannel.Lease(subnet, public_ip, config.backend, vtep_mac, config.vni, lease_id)
            if self.store.put_if_absent(new.key, new.to_json(), lease=lease_id):
                self.state["leases"][host] = {"subnet": subnet, "id": lease_id}
                self.log(f"{host}: leased {subnet} (PublicIP {public_ip}, TTL {self.fl.lease_ttl}s)")
                self._program_own(host, config, subnet)
                return subnet
            self.store.revoke(lease_id)  # another host took it first: try the next one
        raise PluginError(f"could not lease a subnet of {config.network} for {host}")

    def _program_own(self, host: str, config: flannel.Config, subnet: str) -> None:
        k = self.kernel(host)
        if config.backend == "vxlan":
            vtep = f"{ipaddress.ip_network(subnet).network_address}/32"
            k.run(["ip", "addr", "replace", vtep, "dev", config.device])
        # no NAT between subnets: the flannel network's traffic is forwarded as it is (flannel's
        # FLANNEL-FWD rules), ahead of the engine's own FORWARD policy
        for flag in ("-s", "-d"):
            rule = ["FORWARD", flag, config.network, "-m", "comment", "--comment", self.tag, "-j", "ACCEPT"]
            if not k.run(["iptables", "-C", *rule]).ok:
                k.run(["iptables", "-I", *rule])

    def request_pool(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        if body.get("V6"):
            raise PluginError("the flannel model here is IPv4 only")
        config = self.config()
        with self.lock:
            try:
                subnet = self._acquire(host, config)
            except DockerctlError as exc:
                raise PluginError(exc.message) from None
            wanted = body.get("Pool") or ""
            if wanted and ipaddress.ip_network(wanted) != ipaddress.ip_network(subnet):
                raise PluginError(
                    f"{host} holds the flannel lease {subnet}; a network here takes its subnet from the lease "
                    "(leave --subnet out)"
                )
            pool_id = f"{host}/{subnet}"
            self.state["pools"].setdefault(pool_id, {"host": host, "subnet": subnet, "addresses": []})
            self._save()
        return {"PoolID": pool_id, "Pool": subnet, "Data": {}}

    def release_pool(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            pool = self.state["pools"].pop(str(body.get("PoolID")), None)
            if pool is not None:
                host = pool["host"]
                if not any(p["host"] == host for p in self.state["pools"].values()):
                    lease = self.state["leases"].pop(host, None)
                    if lease is not None:
                        self.store.revoke(int(lease["id"]))  # its key goes with it
                        self.log(f"{host}: released lease {lease['subnet']}")
            self._save()
        return {}

    def request_address(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            pool = self.state["pools"].get(str(body.get("PoolID")))
            if pool is None:
                raise PluginError(f"unknown pool {body.get('PoolID')!r}")
            net = ipaddress.IPv4Network(pool["subnet"])
            hosts = list(net.hosts())
            taken = set(pool["addresses"])
            gateway = str(hosts[0])
            opts = body.get("Options") or {}
            if opts.get("RequestAddressType") == GATEWAY_TYPE:
                address = body.get("Address") or gateway
            else:
                where = f"{pool['host']}'s flannel subnet {net}"
                address = pick_address(hosts[1:], net, taken, str(body.get("Address") or ""), where)
            pool["addresses"].append(address)
            self._save()
        return {"Address": f"{address}/{net.prefixlen}", "Data": {}}

    def release_address(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            pool = self.state["pools"].get(str(body.get("PoolID")))
            if pool is not None and body.get("Address") in pool["addresses"]:
                pool["addresses"].remove(body["Address"])
                self._save()
        return {}

    # -- network driver -----------------------------------------------------------------------------
    def create_network(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        data = (body.get("IPv4Data") or [{}])[0]
        subnet, gateway = data.get("Pool", ""), data.get("Gateway", "")
        if not subnet or not gateway:
            raise PluginError(
                "CreateNetwork without an IPv4 pool and gateway: use --ipam-driver dockerctl-flannel"
            )
        config = self.config()
        k = self.kernel(host)
        bridge = bridge_name(str(body["NetworkID"]))
        try:
            mtu = flannel.network_mtu(k, config)
        except DockerctlError as exc:
            raise PluginError(exc.message) from None
        with self.lock:
            if not k.run(["ip", "link", "show", "dev", bridge]).ok:
                for argv in (
                    ["ip", "link", "add", bridge, "type", "bridge"],
                    ["ip", "link", "set", "dev", bridge, "mtu", str(mtu), "alias", self.tag],
                ):
                    done = k.run(argv)
                    if not done.ok:
                        raise PluginError(f"{host}: `{' '.join(argv)}` failed: {done.stderr.strip()}")
            k.run(["ip", "addr", "replace", gateway, "dev", bridge])
            k.run(["ip", "link", "set", "dev", bridge, "up"])
            self.state["networks"][body["NetworkID"]] = {
                "host": host, "bridge": bridge, "subnet": subnet, "gateway": gateway.split("/")[0], "mtu": mtu,
            }  # fmt: skip
            self._save()
        self.reconcile_once()
        return {}

    def delete_network(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        with self.lock:
            net = self.state["networks"].pop(str(body.get("NetworkID")), None)
            if net is not None:
                k = self.kernel(net["host"])
                k.run(["ip", "link", "del", "dev", net["bridge"]])
                if not any(n["host"] == net["host"] for n in self.state["networks"].values()):
                    self._unprogram(net["host"])
            self._save()
        return {}

    def _unprogram(self, host: str) -> None:
        """The host has no flannel network any more: its routes, device and rules go."""
        k = self.kernel(host)
        with contextlib.suppress(DockerctlError, PluginError):
            config = self.config()
            flannel.reconcile(k, config, "", [])  # no leases → no entries
            if config.backend == "vxlan":
                k.run(["ip", "link", "del", "dev", config.device])
            for flag in ("-s", "-d"):
                rule = [
                    "FORWARD",
                    flag,
                    config.network,
                    "-m",
                    "comment",
                    "--comment",
                    self.tag,
                    "-j",
                    "ACCEPT",
                ]
                while k.run(["iptables", "-D", *rule]).ok:
                    pass

    def create_endpoint(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        iface = body.get("Interface") or {}
        with self.lock:
            self.state["endpoints"][body["EndpointID"]] = {
                "host": host, "network": body.get("NetworkID"), "address": iface.get("Address", ""),
            }  # fmt: skip
            self._save()
        return {"Interface": {}}  # the engine gave the address: the answer adds nothing (libnetwork's rule)

    def endpoint_info(self, body: dict[str, Any], _c: Caller) -> dict[str, Any]:
        ep = self.state["endpoints"].get(str(body.get("EndpointID"))) or {}
        return {"Value": {"address": ep.get("address", ""), "host": ep.get("host", "")}}

    def join(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        host = self._host(caller)
        net = self._network(body)
        with self.lock:
            peer = self.bridged_veth(host, str(body["EndpointID"]), int(net["mtu"]), net["bridge"])
        return {"InterfaceName": {"SrcName": peer, "DstPrefix": "eth"}, "Gateway": net["gateway"]}

    # -- the loop: leases → kernels, and renewal ------------------------------------------------------
    def reconcile_once(self) -> None:
        with self.lock:
            try:
                config = self.config()
                leases = self.leases()
            except (DockerctlError, PluginError) as exc:
                self.log(f"reconcile: {exc}")
                return
            by_host = {lease.public_ip: lease for lease in leases}
            active = {n["host"] for n in self.state["networks"].values()}
            for host in sorted(active):
                own = self.state["leases"].get(host)
                mine = by_host.get(self.fl.hosts[host])
                if own is not None and (mine is None or mine.subnet != own["subnet"]):
                    self.log(f"{host}: its lease {own['subnet']} is gone from etcd (deleted or expired)")
                try:
                    flannel.reconcile(self.kernel(host), config, own["subnet"] if own else "", leases)
                except DockerctlError as exc:
                    self.log(f"reconcile {host}: {exc}")

    def renew_once(self) -> None:
        with self.lock:
            for host, lease in list(self.state["leases"].items()):
                try:
                    left, _ = self.store.time_to_live(int(lease["id"]))
                    if 0 <= left <= self.fl.renew_within:
                        self.store.keepalive(int(lease["id"]))
                        self.log(f"{host}: renewed lease {lease['subnet']} ({left}s were left)")
                except DockerctlError as exc:
                    self.log(f"renew {host}: {exc}")

    def loop(self, stop: threading.Event, every: float = 1.0) -> None:
        while not stop.wait(every):
            self.renew_once()
            self.reconcile_once()


def serve_lab(lab: str, log: Callable[[str], None], stop: threading.Event) -> PluginApp:
    """What `dockerctl plugin serve --driver dockerctl-flannel` answers with for the lab."""
    from dockerctl.fabric import etcd

    fl = flannel.load(lab)
    if fl is None:
        raise no_model(lab, "flannel")
    driver = FlannelDriver(fl, etcd.Etcd(lab).client(), log=log)
    threading.Thread(target=driver.loop, args=(stop,), daemon=True).start()
    return network_app(driver)
