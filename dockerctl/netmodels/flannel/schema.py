"""flannel's playbook keys (pydantic): its section (`flannel:`) and the expectation kinds that prove it
(`source_ip`, `flannel`, `lease_removed`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid")


class FlannelEntry(BaseModel):
    """flannel's network config (seed X11): a subnet per simulated host out of `network`, leased in the
    lab's etcd; networks with `driver: dockerctl-flannel` take their host's subnet."""

    model_config = _STRICT
    network: str = "10.5.0.0/16"
    backend: Literal["host-gw", "vxlan"] = "vxlan"
    subnet_len: int = Field(default=24, ge=8, le=28)
    lease_ttl: int = Field(default=86400, ge=10, le=7 * 86400)  # seconds (flannel: 24 h)


class SourceIpExpect(BaseModel):
    """X11 "no NAT between subnets": a listener in container `to` sees the connection from container
    `from` come from `from`'s own address."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    to: str
    port: int = Field(default=7777, ge=1, le=65535)


class FlannelExpect(BaseModel):
    """X11: flannel's leases in etcd and each host's kernel agree — per other host's lease exactly its
    route (host-gw), or its route, neighbour and FDB entry (vxlan); each lease with its TTL."""

    model_config = ConfigDict(extra="forbid")
    hosts: list[str] = Field(default_factory=list)  # default: every flannel host


class LeaseRemovedExpect(BaseModel):
    """X11: a host's lease deleted from etcd → its entries leave every other host's kernel."""

    model_config = ConfigDict(extra="forbid")
    host: str


SCHEMA = FlannelEntry
EXPECT: dict[str, type[BaseModel]] = {
    "source_ip": SourceIpExpect,
    "flannel": FlannelExpect,
    "lease_removed": LeaseRemovedExpect,
}
