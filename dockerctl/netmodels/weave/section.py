"""weave's config, checked before anything is made (seed X12): one address range for every container of
the lab (weave's default 10.32.0.0/12), split among the hosts for allocation."""

from __future__ import annotations

import ipaddress

from dockerctl.errors import InvalidInput
from dockerctl.spec.netmodels import driver_of
from dockerctl.spec.sections import BenchLab, ModelSection, ipv4_range

DRIVER = driver_of("weave")  # the network + IPAM driver (driver.py)
DOMAIN = "weave.local"


def split_range(ip_range: str, hosts: int) -> list[str]:
    """Each host's allocation range: the range cut into the fewest equal parts (a power of two) that
    give every host one, in host order."""
    net = ipaddress.IPv4Network(ip_range)
    bits = max(0, (hosts - 1).bit_length())
    return [str(p) for p in list(net.subnets(prefixlen_diff=bits))[:hosts]]


def check_range(ip_range: str, hosts: int, where: str) -> None:
    net = ipv4_range(ip_range, "weave", "range", "10.32.0.0/12", where)
    bits = max(0, (hosts - 1).bit_length())
    if net.prefixlen + bits > 29:
        raise InvalidInput(
            f"weave range {ip_range} is too small to give each of its {hosts} host(s) a range: use a larger one",
            where=where,
        )


def bridge_address(ip_range: str, hosts: int, index: int) -> str:
    """The bridge address of the `index`th of `hosts` hosts: the first address of its allocation range
    (as `weave expose` gives it)."""
    return str(next(ipaddress.IPv4Network(split_range(ip_range, hosts)[index]).hosts()))


def resolver_address(ip_range: str, hosts: int) -> str:
    """Where weave.local names are answered: the first host's bridge."""
    return bridge_address(ip_range, hosts, 0)


SECTION = ModelSection(
    "weave", DRIVER, "{ip_range: 10.32.0.0/12}", "takes weave's range",
    lambda s, n: check_range(s.ip_range, n, "weave.ip_range"),
    resolver=lambda s, n: resolver_address(s.ip_range, n),
    bench=(
        BenchLab("weave", "the weave mesh across two hosts (vxlan port)", "bench-wv", "bwv", 126,
                 {"ip_range": "10.32.0.0/12"}),
    ),
)  # fmt: skip
