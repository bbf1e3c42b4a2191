"""flannel's network config, checked before anything is made (seed X11): the Network must hold a
subnet per host, as flannel leases them (SubnetMin is the second subnet, SubnetMax the last)."""

from __future__ import annotations

import ipaddress

from dockerctl.errors import InvalidInput

DRIVER = "dockerctl-flannel"  # the network + IPAM driver (plugins/flannel_net.py)


def check_config(network: str, subnet_len: int, hosts: int, where: str) -> None:
    """The Network must hold a subnet per host (SubnetMin..SubnetMax), as flannel needs."""
    try:
        net = ipaddress.ip_network(network, strict=True)
    except ValueError as exc:
        raise InvalidInput(
            f"flannel network {network!r}: {exc}; give one such as 10.5.0.0/16", where=where
        ) from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise InvalidInput("flannel's network is IPv4 here", where=where)
    if subnet_len <= net.prefixlen or subnet_len > 28:
        raise InvalidInput(
            f"subnet_len {subnet_len} must be longer than the network's /{net.prefixlen} and at most 28",
            where=where,
        )
    usable = 2 ** (subnet_len - net.prefixlen) - 1  # flannel leaves the first subnet out
    if usable < hosts:
        raise InvalidInput(
            f"flannel network {network} holds {usable} subnet(s) of /{subnet_len} (the first is never "
            f"leased), fewer than its {hosts} host(s): give a larger network or a longer subnet_len",
            where=where,
        )
