"""A lab "outside" network: a network namespace the project makes, with an address from the
benchmarking range 198.18.0.0/15, routed from the host over a veth pair. Traffic sent there never leaves
the machine. The namespace (and with it both veth ends) is removed on exit, also after a failure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dockerctl.errors import EngineError
from dockerctl.hosts import Host, NetnsHost


@dataclass(frozen=True)
class Outside:
    namespace: str
    host_if: str
    host_addr: str  # the host's address towards the outside: what MASQUERADE writes as the source
    outside_addr: str

    @property
    def host(self) -> NetnsHost:
        """The outside namespace as a host of its own: commands run there."""
        return NetnsHost(self.namespace)

    def nsenter(self, *argv: str) -> list[str]:
        return [*NetnsHost(self.namespace).prefix(), *argv]


@contextmanager
def outside_namespace(
    host: Host, host_addr: str = "198.18.0.1", outside_addr: str = "198.18.0.2"
) -> Iterator[Outside]:
    """On `host` (where the engine runs): a namespace reached over a veth pair, removed afterwards."""

    def _ip(*args: str) -> None:
        done = host.run(["ip", *args])
        if not done.ok:
            raise EngineError(f"`ip {' '.join(args)}` failed on {host.name}: {done.stderr.strip()}")

    tag = uuid.uuid4().hex[:6]
    out = Outside(f"dctl-out-{tag}", f"dctlo{tag}h", host_addr, outside_addr)
    peer = f"dctlo{tag}o"
    try:
        _ip("netns", "add", out.namespace)
        _ip("link", "add", out.host_if, "type", "veth", "peer", "name", peer)
        _ip("link", "set", peer, "netns", out.namespace)
        _ip("addr", "add", f"{host_addr}/30", "dev", out.host_if)
        _ip("link", "set", out.host_if, "up")
        for args in (
            ["addr", "add", f"{outside_addr}/30", "dev", peer],
            ["link", "set", peer, "up"],
            ["link", "set", "lo", "up"],
            ["route", "add", "default", "via", host_addr],
        ):
            _ip("-n", out.namespace, *args)
        yield out
    finally:
        host.run(["ip", "netns", "del", out.namespace])
        host.run(["ip", "link", "del", out.host_if])
