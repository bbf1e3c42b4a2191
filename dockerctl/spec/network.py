"""Networks and a container's network options (seed N6–N9, C3, O2), validated before the engine."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from dockerctl.errors import InvalidInput
from dockerctl.spec.netmodels import DRIVERS as MODEL_DRIVERS

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
BUILTIN = ("bridge", "host", "none")
DRIVERS = ("bridge", "macvlan", "overlay", *MODEL_DRIVERS)  # a lab's network's: the engine's, the models'
if TYPE_CHECKING:
    Driver = str
else:
    Driver = Literal[DRIVERS]


class NetworkSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    driver: Driver = "bridge"
    subnet: str | None = None
    gateway: str | None = None
    ip_range: str | None = None
    internal: bool = False
    attachable: bool = False
    options: dict[str, str] = {}
    lab: str | None = None
    labels: dict[str, str] = {}  # more labels beside dockerctl's own

    @model_validator(mode="after")
    def _check(self) -> NetworkSpec:
        if not NAME.match(self.name) or self.name in BUILTIN:
            raise InvalidInput(f"invalid network name {self.name!r}", field="name")
        net = None
        if self.subnet is not None:
            try:
                net = ipaddress.ip_network(self.subnet, strict=True)
            except ValueError as exc:
                raise InvalidInput(
                    f"invalid subnet {self.subnet!r}: {exc}; give an IPv4 network such as 172.31.5.0/24",
                    field="subnet",
                ) from None
        for field, value in (("gateway", self.gateway), ("ip_range", self.ip_range)):
            if value is None:
                continue
            if net is None:
                raise InvalidInput(f"--{field.replace('_', '-')} needs --subnet", field=field)
            try:
                if field == "gateway":
                    inside = ipaddress.ip_address(value) in net
                else:
                    sub = ipaddress.ip_network(value, strict=True)
                    inside = (
                        sub.version == net.version
                        and sub.network_address in net
                        and sub.broadcast_address in net
                    )
            except ValueError as exc:
                raise InvalidInput(
                    f"invalid {field.replace('_', ' ')} {value!r}: {exc}", field=field
                ) from None
            if not inside:
                raise InvalidInput(f"{value} is outside the subnet {self.subnet}", field=field)
        if self.driver == "macvlan" and "parent" not in self.options:
            raise InvalidInput(
                "a macvlan network needs -o parent=<host interface> (seed X8)", field="options"
            )
        if self.driver == "macvlan" and net is None:
            raise InvalidInput(
                "a macvlan network needs --subnet: macvlan has no IPAM of its own (seed X8)", field="subnet"
            )
        return self


class PortSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    container_port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    host_ip: str | None = None
    host_port: int | None = None  # None: the engine picks one


def parse_publish(text: str) -> PortSpec:
    """`-p [IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`, as docker run takes it."""
    body, _, proto = text.partition("/")
    parts = body.rsplit(":", 2)
    fields: dict[str, object] = {"protocol": proto or "tcp"}
    try:
        fields["container_port"] = int(parts[-1])
        if len(parts) >= 2 and parts[-2]:
            fields["host_port"] = int(parts[-2])
        if len(parts) == 3:
            ipaddress.ip_address(parts[0])
            fields["host_ip"] = parts[0]
        spec = PortSpec.model_validate(fields)
    except ValueError:
        raise InvalidInput(
            f"expected [IP:][HOST_PORT:]PORT[/tcp|udp], got {text!r}", field="publish"
        ) from None
    for port in (spec.container_port, spec.host_port):
        if port is not None and not 0 < port < 65536:
            raise InvalidInput(f"port {port} is out of range: use 1-65535", field="publish")
    return spec
