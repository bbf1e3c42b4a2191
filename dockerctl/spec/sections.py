"""What a network model's playbook section asks of the rest of the playbook (`ModelSection`, one row per
model, declared in its folder's section.py and listed by spec/netmodels.py), and the checks every
model's ranges share (`ipv4_range`, `OnePerHost`), and the labs `bench net` measures a model on."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dockerctl.errors import InvalidInput


def ipv4_range(text: str, model: str, what: str, example: str, where: str) -> ipaddress.IPv4Network:
    """A model's address range as the playbook gives it (its network, pool or range): a network address
    in CIDR form, IPv4."""
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise InvalidInput(
            f"{model} {what} {text!r}: {exc}; give one such as {example}", where=where
        ) from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise InvalidInput(f"{model}'s {what} is IPv4 here", where=where)
    if net.prefixlen < 8 or net.network_address.is_unspecified or net.is_loopback or net.is_multicast:
        raise InvalidInput(
            f"{model} {what} {net} is not a lab range (the whole address space, loopback or multicast): "
            f"give /8 or longer, such as {example}",
            where=where,
        )
    return net


@dataclass(frozen=True)
class OnePerHost:
    """A model's range cut into /length pieces, one for each host (a pool into blocks, a network into
    subnets), read from the section's `range_key` and `length_key`: the length must be longer than the
    range's prefix (or as long, without `spare`) and at most `longest`, and the pieces, less `spare` never
    handed out (a model that leaves the first subnet out), must number the hosts. `piece` names a piece in errors ("block"), `example` a range to give ("10.7.0.0/16")."""

    model: str
    range_key: str
    length_key: str
    piece: str
    example: str
    longest: int
    spare: int = 0

    def __call__(self, section: Any, hosts: int) -> None:
        where = f"{self.model}.{self.range_key}"
        text, length = getattr(section, self.range_key), getattr(section, self.length_key)
        net = ipv4_range(text, self.model, self.range_key, self.example, where)
        rng, key = f"{self.model} {self.range_key}", self.length_key
        shortest = net.prefixlen + (1 if self.spare else 0)
        if not shortest <= length <= self.longest:
            least = (
                f"longer than the {self.range_key}'s" if self.spare else f"at least the {self.range_key}'s"
            )
            raise InvalidInput(
                f"{key} {length} must be {least} /{net.prefixlen} and at most {self.longest}", where=where
            )
        count = 2 ** (length - net.prefixlen) - self.spare
        if count < hosts:
            unused = " (the first is never leased)" if self.spare else ""
            raise InvalidInput(
                f"{rng} {net} holds {count} {self.piece}(s) of /{length}{unused}, fewer than its {hosts} "
                f"host(s): give a larger {self.range_key} or a longer {key}",
                where=where,
            )


@dataclass(frozen=True)
class BenchLab:
    """A two-host lab `bench net` measures a model on: the path's name and what it measures, and the lab —
    its name, its hosts' prefix (PREFIX1, PREFIX2), its switch 198.18.OCTET.0/24 (distinct per lab) and
    the model's section in it. Containers a (on the first host) and b (on the second) run iperf3."""

    path: str
    what: str
    lab: str
    prefix: str
    octet: int
    section: dict[str, Any]


@dataclass(frozen=True)
class ModelSection:
    """What a network model's playbook section asks of the rest of the playbook, checked by one validator
    for every model (`Playbook._models`): its networks (driver `driver`) exist only with the section, it
    joins two or more simulated hosts, one network per host whose addresses come from the model, and
    the section's ranges fit its hosts (`check`)."""

    key: str  # the section, the model's name
    driver: str  # the network driver its networks use
    example: str  # a section to add, for the error ("{network: 10.5.0.0/16, backend: vxlan}")
    addresses: str  # where its networks' addresses come from, for the error
    check: Callable[[Any, int], None]  # the section's own ranges against the number of hosts
    bench: tuple[BenchLab, ...] = ()  # the paths `bench net` measures it on
    modes: str = ""  # the modes it runs in, as help names them ("vxlan or host-gw")
    # the name server containers on its networks use, from the section and the number of hosts (None: the
    # engine's own)
    resolver: Callable[[Any, int], str] | None = None
    # the expectation kinds that prove it on its hosts, naming hosts (`host`, `hosts`) rather than containers
    proofs: tuple[str, ...] = ()
    # the playbook's top-level keys it owns beside its section whose keys are names (→ what a name there
    # is, a name that would be right)
    named: tuple[tuple[str, str, str], ...] = ()
