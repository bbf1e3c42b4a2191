"""A topology: the containers, networks and volumes a lab is made of, as one dict (or a YAML/JSON file).

This is the core that playbooks build on: what to bring up, validated before the engine is touched.
Names are the lab's own ("web"); on the engine they become "<lab>-web", with "web" as the network alias
so containers still find each other by that name on the lab's networks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dockerctl.errors import InvalidInput
from dockerctl.spec.inputs import LIMIT_FIELDS, limit_fields
from dockerctl.spec.models import BASE_IMAGE, Limits
from dockerctl.spec.names import check_section_names
from dockerctl.spec.yamlpos import read_text

BUILTIN_NETWORKS = ("bridge", "host", "none")
# the sections whose keys are names (→ what a name there is, a name that would be right): they reach the
# engine, and from there iptables, BIRD and dnsmasq files, so they follow the engine's rule (spec/names.py)
NAMED_SECTIONS = {
    "containers": ("container", "web"),
    "networks": ("network", "front"),
    "volumes": ("volume", "data"),
}


class NetworkEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    driver: Literal[
        "bridge", "macvlan", "overlay", "dockerctl-flannel", "dockerctl-calico", "dockerctl-weave"
    ] = "bridge"
    subnet: str | None = None
    gateway: str | None = None
    internal: bool = False
    attachable: bool = False  # overlay: standalone containers may join (X3)
    options: dict[str, str] = Field(default_factory=dict)  # e.g. parent: <host link> for macvlan (X8)
    ip_range: str | None = None  # addresses handed to containers (e.g. the macvlan half of a lab switch)
    host: str | None = None  # the host it is made on (default: the first host); overlay: the swarm's


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
    memory: str | int | None = None
    memory_swap: str | int | None = None
    cpu_shares: int | None = None
    cpus: float | None = None
    cpuset_cpus: str | None = None
    pids_limit: int | None = None
    blkio_weight: int | None = None
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
    labels: dict[str, str] = Field(default_factory=dict)  # docker labels (calico policies select by them)

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
