"""flannel's network config, checked before anything is made (seed X11): the Network must hold a
subnet per host, as flannel leases them (SubnetMin is the second subnet, SubnetMax the last)."""

from __future__ import annotations

from dockerctl.spec.sections import BenchLab, ModelSection, ipv4_range, one_per_host

DRIVER = "dockerctl-flannel"  # the network + IPAM driver (plugins/flannel_net.py)


def check_config(network: str, subnet_len: int, hosts: int, where: str) -> None:
    """The Network must hold a subnet per host (SubnetMin..SubnetMax), as flannel needs."""
    net = ipv4_range(network, "flannel", "network", "10.5.0.0/16", where)
    # flannel leaves the first subnet out (SubnetMin is the second)
    one_per_host(net, subnet_len, 28, hosts, ("flannel network", "subnet_len", "subnet"), where, spare=1)


SECTION = ModelSection(
    "flannel", DRIVER, "{network: 10.5.0.0/16, backend: vxlan}", "takes its subnet from the host's lease",
    lambda s, n: check_config(s.network, s.subnet_len, n, "flannel.network"),
    plugin="dockerctl.plugins.flannel_net",
    bench=(
        BenchLab("flannel-host-gw", "flannel host-gw across two hosts (routes)", "bench-fgw", "bfg", 123,
                 {"network": "10.8.0.0/16", "backend": "host-gw"}),
        BenchLab("flannel-vxlan", "flannel vxlan across two hosts (flannel.1)", "bench-fvx", "bfv", 124,
                 {"network": "10.9.0.0/16", "backend": "vxlan"}),
    ),
)  # fmt: skip
