"""A topology: the containers, networks and volumes a lab is made of, as one dict (or a YAML/JSON file).

This is the core that playbooks build on: what to bring up, validated before the engine is touched.
Names are the lab's own ("web"); on the engine they become "<lab>-web", with "web" as the network alias
so containers still find each other by that name on the lab's networks.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dockerctl.errors import InvalidInput
from dockerctl.spec.inputs import LIMIT_FIELDS, limit_fields
from dockerctl.spec.models import BASE_IMAGE, Limits, cpuset_members
from dockerctl.spec.names import check_section_names
from dockerctl.spec.network import Driver, parse_publish
from dockerctl.spec.yamlpos import read_text

BUILTIN_NETWORKS = ("bridge", "host", "none")
# the sections whose keys are names (→ what a name there is, a name that would be right): they reach the
# engine, and from there iptables, BIRD and dnsmasq files, so they follow the engine's rule (spec/names.py)
NAMED_SECTIONS = {
    "containers": ("container", "web"),
    "networks": ("network", "front"),
    "volumes": ("volume", "data"),
}


# the reference grammar of distribution/reference (what the engine parses), lowercase repository path
IMAGE_REF = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)
HOSTNAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
SHORTEST_PREFIX = {4: 8, 6: 16}  # a lab subnet takes at most a /8 (IPv4), a /16 (IPv6)


def image_ref(value: str) -> str:
    if not isinstance(value, str) or len(value) > 255 or not IMAGE_REF.fullmatch(value):
        raise ValueError(
            f"{str(value)[:80]!r} is not an image reference: give a name such as dockerctl/base or app:1.0 "
            "(lowercase, [a-z0-9._-/], an optional :tag)"
        )
    return value


def lab_subnet(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A network's subnet as the engine's IPAM takes it: a network address in CIDR form, not the whole
    address space, nor loopback, multicast or unspecified addresses."""
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a subnet ({exc}): give one such as 172.31.5.0/24") from None
    if (
        net.prefixlen < SHORTEST_PREFIX[net.version]
        or net.is_unspecified
        or net.network_address.is_unspecified
    ):
        raise ValueError(
            f"{text} would take the whole address space (or most of it): give a lab subnet of "
            f"/{SHORTEST_PREFIX[net.version]} or longer, such as 172.31.5.0/24"
        )
    if net.is_loopback or net.is_multicast:
        raise ValueError(f"{text} is a loopback or multicast range: give one such as 172.31.5.0/24")
    return net


class NetworkEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    driver: Driver = "bridge"
    subnet: str | None = None
    gateway: str | None = None
    internal: bool = False
    attachable: bool = False  # overlay: standalone containers may join (X3)
    options: dict[str, str] = Field(default_factory=dict)  # e.g. parent: <host link> for macvlan (X8)
    ip_range: str | None = None  # addresses handed to containers (e.g. the macvlan half of a lab switch)
    host: str | None = None  # the host it is made on (default: the first host); overlay: the swarm's

    @field_validator("subnet")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        if value is not None:
            lab_subnet(value)
        return value

    @field_validator("gateway", "ip_range")
    @classmethod
    def _inside(cls, value: str | None, info: ValidationInfo) -> str | None:
        """gateway and ip_range inside the subnet (validated before them: it is declared first)."""
        if value is None:
            return value
        subnet = info.data.get("subnet")
        net = ipaddress.ip_network(subnet) if subnet else None
        if info.field_name == "gateway":
            try:
                inner: Any = ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address: give one such as 172.31.5.1") from None
            inside = net is not None and inner in net
        else:
            try:
                inner = ipaddress.ip_network(value, strict=True)
            except ValueError as exc:
                raise ValueError(
                    f"{value!r} is not a subnet ({exc}): give one such as 172.31.5.128/25"
                ) from None
            inside = net is not None and inner.version == net.version and inner.subnet_of(net)
        if not inside:
            raise ValueError(
                f"{value} must be inside the network's subnet"
                + (f" {net}" if net is not None else ": give subnet: too (e.g. 172.31.5.0/24)")
            )
        return value


class VolumeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    driver: str = "local"
    options: dict[str, str] = Field(default_factory=dict)  # `docker volume create --opt K=V`
    host: str | None = None  # the host whose engine keeps it (default: the first host)


class ContainerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str = BASE_IMAGE
    command: list[str] | str | None = None
    networks: list[str] = Field(default_factory=list)
    volumes: list[str] = Field(default_factory=list)  # "name:/path[:ro]", "/host/path:/path[:ro]" or "/path"
    # numbers are numbers: `memory: true` or `cpus: yes` is refused, not read as 1
    memory: str | StrictInt | None = None
    memory_swap: str | StrictInt | None = None
    cpu_shares: StrictInt | None = None
    cpus: Annotated[float, Field(strict=True)] | None = None
    cpuset_cpus: str | None = None
    pids_limit: StrictInt | None = None
    blkio_weight: StrictInt | None = None
    device_read_bps: Any = None
    device_write_bps: Any = None
    device_read_iops: Any = None
    device_write_iops: Any = None
    network_mode: str | None = None  # none | host | container:NAME (NAME: a container of this lab)
    ip: str | None = None  # static IPv4 on the first network (N8)
    hostname: str | None = None
    publish: list[str] = Field(default_factory=list)  # "[IP:][HOST_PORT:]PORT[/proto]"
    volumes_from: list[str] = Field(default_factory=list)  # containers of this lab, "name[:ro]"
    create_only: bool = False  # created, never started: a volume container (S8)
    host: str | None = None  # the host it runs on (default: the first host)
    labels: dict[str, str] = Field(default_factory=dict)  # docker labels (policies select by them)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return image_ref(value)

    @field_validator("publish")
    @classmethod
    def _publish(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                parse_publish(item)
            except InvalidInput as exc:
                raise ValueError(f"{exc.message} (e.g. 8080, 80:8080 or 127.0.0.1::8080)") from None
        return value

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address: give one such as 172.31.5.10") from None
        return value

    @field_validator("hostname")
    @classmethod
    def _hostname(cls, value: str | None) -> str | None:
        if value is not None and not HOSTNAME.fullmatch(value):
            raise ValueError(
                f"{value[:80]!r} is not a hostname: letters, digits and '-', at most 63, e.g. web1"
            )
        return value

    def host_cpus(self, cpus: int | None, where: str, host: str = "this machine") -> None:
        """cpus and cpuset_cpus within the host's CPUs (`cpus`; None: not known here, e.g. remote)."""
        if cpus is None:
            return
        if self.cpus is not None and self.cpus > cpus:
            raise InvalidInput(
                f"cpus {self.cpus:g} is more than the {cpus} CPU(s) {host} has: give 0.01 to {cpus}",
                where=f"{where}.cpus",
            )
        if self.cpuset_cpus is not None:
            try:
                cpuset_members(self.cpuset_cpus, cpus)
            except ValueError as exc:
                raise InvalidInput(
                    f"{exc}; give CPUs of {host} such as 0 or 0-{cpus - 1}", where=f"{where}.cpuset_cpus"
                ) from None

    def limits(self, where: str) -> Limits:
        try:
            return Limits(**limit_fields({k: getattr(self, k) for k in LIMIT_FIELDS}))
        except InvalidInput as exc:
            exc.where = f"{where}.{exc.field}" if exc.field else where
            raise

    def argv(self) -> list[str]:
        if self.command is None:
            return []
        return ["sh", "-c", self.command] if isinstance(self.command, str) else list(self.command)


class Topology(BaseModel):
    model_config = ConfigDict(extra="forbid")

    containers: dict[str, ContainerEntry] = Field(default_factory=dict)
    networks: dict[str, NetworkEntry] = Field(default_factory=dict)
    volumes: dict[str, VolumeEntry] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data: Any) -> Any:
        """Names first, before any field: a bad one is refused at its own key (spec/names.py)."""
        check_section_names(data, NAMED_SECTIONS)
        return data

    @model_validator(mode="after")
    def _references(self) -> Topology:
        for name, c in self.containers.items():
            mode = c.network_mode or ""
            if mode and mode not in ("none", "host") and not mode.startswith("container:"):
                raise InvalidInput(
                    f"network_mode must be none, host or container:NAME, got {mode!r}",
                    where=f"containers.{name}.network_mode",
                )
            if mode.startswith("container:"):
                other = mode.split(":", 1)[1]
                if other == name:
                    raise InvalidInput(
                        "a container cannot join its own network namespace: name another container of the lab",
                        where=f"containers.{name}.network_mode",
                    )
                if other not in self.containers:
                    raise InvalidInput(
                        f"container {other!r} is not defined under containers",
                        where=f"containers.{name}.network_mode",
                    )
            if mode and c.networks:
                raise InvalidInput(
                    "give networks or network_mode, not both", where=f"containers.{name}.networks"
                )
            for ref in c.volumes_from:
                if ref.split(":", 1)[0] not in self.containers or ref.split(":", 1)[0] == name:
                    raise InvalidInput(
                        f"{ref!r} is not another container of this lab",
                        where=f"containers.{name}.volumes_from",
                    )
        self._check_cycles()
        for name, c in self.containers.items():
            for net in c.networks:
                if net not in self.networks and net not in BUILTIN_NETWORKS:
                    raise InvalidInput(
                        f"network {net!r} is not defined under networks", where=f"containers.{name}.networks"
                    )
            for mount in c.volumes:
                source = mount.split(":", 1)[0]
                if ":" not in mount and mount.startswith("/") and mount != "/":
                    continue  # an anonymous volume at that path
                if ":" not in mount or not mount.split(":")[1].startswith("/"):
                    raise InvalidInput(
                        f"expected NAME:/path[:ro] or /host/path:/path[:ro], got {mount!r}",
                        where=f"containers.{name}.volumes",
                    )
                if not source.startswith("/") and source not in self.volumes:
                    raise InvalidInput(
                        f"volume {source!r} is not defined under volumes", where=f"containers.{name}.volumes"
                    )
            c.limits(f"containers.{name}")
            if type(self) is Topology:  # a playbook knows each container's host (Playbook._host_cpus)
                c.host_cpus(os.cpu_count(), f"containers.{name}")
        return self

    def dependencies(self, name: str) -> list[str]:
        """Containers that must exist before `name`: those it joins or takes volumes from."""
        c = self.containers[name]
        deps = [ref.split(":", 1)[0] for ref in c.volumes_from]
        if (c.network_mode or "").startswith("container:"):
            deps.append((c.network_mode or "").split(":", 1)[1])
        return deps

    def order(self) -> list[list[str]]:
        """Containers in dependency levels: each level only needs the ones before it (run in parallel)."""
        done: set[str] = set()
        levels: list[list[str]] = []
        left = list(self.containers)
        while left:
            level = [n for n in left if all(d in done for d in self.dependencies(n))]
            if not level:
                raise InvalidInput(
                    f"dependency cycle among {', '.join(sorted(left))}: remove one of their volumes_from or "
                    "network_mode: container: references",
                    where="containers",
                )
            levels.append(level)
            done.update(level)
            left = [n for n in left if n not in done]
        return levels

    def _check_cycles(self) -> None:
        self.order()

    @classmethod
    def parse(cls, data: dict[str, Any], source: str = "lab") -> Topology:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(first["msg"], where=f"{source}: {where}" if where else source) from None

    @classmethod
    def load(cls, path: str | Path) -> Topology:
        path = Path(path)
        try:
            data = yaml.safe_load(read_text(path, what="a topology"))
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"{path} must hold a mapping with containers / networks / volumes")
        return cls.parse(data, str(path))
