"""Playbooks: one YAML file saying what to build and what must then be true (seed: every topic).

    version: 1
    name: limits
    images:   {app: {build: ./app}}          # built locally; never pulled
    networks: {front: {subnet: 172.31.100.0/24}}
    volumes:  {data: {}}
    containers:
      web: {image: app, networks: [front], memory: 100M, volumes: ["data:/srv"]}
    expect:
      - {claim: R1, limits: {container: web, memory: 100M}}

Validated before the engine is touched; every error names FILE:LINE and the key.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from dockerctl.errors import InvalidInput
from dockerctl.spec import netmodels as registry
from dockerctl.spec.gluster import GLUSTER_DRIVER
from dockerctl.spec.host_kinds import kind as kind_of
from dockerctl.spec.inputs import LIMIT_FIELDS, device_path, limit_fields
from dockerctl.spec.models import MAX_SHARES, MIN_SHARES
from dockerctl.spec.names import BadName, check_section_names
from dockerctl.spec.storage import StorageEntry, volume_size_gb
from dockerctl.spec.topology import NetworkEntry, Topology, image_ref
from dockerctl.spec.units import parse_rate, parse_size
from dockerctl.spec.yamlpos import line_of, load_yaml, read_text, via_of

CLAIM = re.compile(r"^[RKNCOSXV]\d+\Z")
# defer_build: a model's validator is compiled when it is first used, not when its class is made. Every
# model here is a part of Playbook, whose one validator holds them all: compiling each on its own as well
# (and _Kinds, _ModelKinds, Expectation, _PlaybookHead, _PlaybookModels each with everything under it)
# was most of the ~0.05 s this module took to import, in every `play` (issue 38). All first uses happen
# in the thread that loads the playbook (validation, then the plan's entry_json).
_DEFER = ConfigDict(defer_build=True)
_STRICT = ConfigDict(extra="forbid", defer_build=True)

# the network models' playbook sections (spec/sections.ModelSection) and their pydantic keys (each model's
# schema.py: its section, the expectation kinds that prove it, keys of the playbook's own it owns), in
# registry order; a model a test registers later brings its section's class alone (`load_playbook`)
MODEL_SECTIONS = registry.sections()
_SCHEMAS = [m for n in registry.names() if isinstance(m := registry.part(n, "schema"), ModuleType)]


def _container_path(value: str) -> str:
    if not value.startswith("/") or "\x00" in value:
        raise ValueError(f"{value!r} is not an absolute path inside the container: give one such as /data")
    return value


# a path inside a proof's container: absolute; it goes to the container as an argument, never as shell
ContainerPath = Annotated[str, AfterValidator(_container_path)]
Port = Annotated[int, Field(ge=1, le=65535)]  # a TCP/UDP port
Shares = Annotated[int, Field(ge=MIN_SHARES, le=MAX_SHARES)]  # cpu.shares, the kernel's range
INT64_MAX = 2**63 - 1


def _size(value: str) -> str:
    try:
        parse_size(str(value))
    except InvalidInput as exc:
        raise ValueError(exc.message) from None  # pydantic names the key
    return value


def _cpus(value: float | None) -> float | None:
    """CPUs of quota: finite, positive, no more than this machine has."""
    if value is None:
        return value
    count = os.cpu_count() or 1
    if not (math.isfinite(value) and 0 < value <= count):
        raise ValueError(
            f"{value} CPUs: give a number above 0 and at most {count}, the CPUs this machine has"
        )
    return value


Size = Annotated[str, AfterValidator(_size)]
Cpus = Annotated[float | None, AfterValidator(_cpus)]


class ImageEntry(BaseModel):
    model_config = _STRICT

    build: str  # a directory with a Dockerfile, relative to the playbook; its FROM must be local


class LimitsExpect(BaseModel):
    # the limit fields, checked by the limits parser
    model_config = ConfigDict(extra="allow", defer_build=True)
    container: str

    @model_validator(mode="after")
    def _fields(self) -> LimitsExpect:
        extra = self.model_extra or {}
        unknown = set(extra) - set(LIMIT_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown limit(s): {', '.join(sorted(unknown))}; limits are {', '.join(LIMIT_FIELDS)}"
            )
        if not extra:
            raise ValueError("name at least one limit, e.g. memory: 100M")
        limit_fields(extra)  # bad sizes and rates fail here, at the playbook's line
        return self


class OomExpect(BaseModel):
    model_config = _STRICT
    container: str  # proved on a twin with this container's limits
    allocate: Size  # a size, e.g. 80M
    killed: bool = True


class NamespacesExpect(BaseModel):
    model_config = _STRICT
    a: str
    b: str
    shared: list[Literal["mnt", "uts", "ipc", "pid", "net", "user", "cgroup"]] = Field(default_factory=list)
    private: list[Literal["mnt", "uts", "ipc", "pid", "net", "user", "cgroup"]] = Field(default_factory=list)


class TrafficExpect(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    source: str = Field(alias="from")
    to: str | None = None  # a container of the lab …
    address: str | None = None  # … or an address (e.g. a macvlan network's gateway, X9)
    by: Literal["ip", "name", "gwbridge"] = "ip"  # gwbridge: the target's eth1 on docker_gwbridge (X6)
    port: Port | None = None

    @model_validator(mode="after")
    def _target(self) -> TrafficExpect:
        if (self.to is None) == (self.address is None):
            raise ValueError("give to: (a container) or address: (an IP), one of them")
        return self


class InterfacesExpect(BaseModel):
    """X4: a container on an overlay has eth0 on the overlay and eth1 on docker_gwbridge."""

    model_config = _STRICT
    container: str
    network: str  # the overlay network of the lab


class VxlanExpect(BaseModel):
    """X5: each host's overlay namespace holds br0 and vxlan0, its FDB points at the other host's lab
    address, and traffic between the two containers moves both hosts' vxlan counters."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    network: str
    source: str = Field(alias="from")
    to: str


class OverlaySubnetsExpect(BaseModel):
    """X6: the default overlay subnets are 10.0.X.0/24, handed out in the order the networks were made."""

    model_config = _STRICT
    networks: list[str] = Field(min_length=1)


class DirectExpect(BaseModel):
    """X7–X8: on macvlan a packet goes straight to the other container: eth0 is a macvlan device (no veth,
    no bridge), the reply's TTL is not decremented (no router in between)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    source: str = Field(alias="from")
    to: str


class ServiceLimitsExpect(BaseModel):
    """Each running task of a service holds these limits in the kernel of the node it landed on."""

    model_config = ConfigDict(extra="allow", defer_build=True)  # the limit fields, as in `limits`
    service: str
    hosts: list[str] = Field(default_factory=list)  # the hosts its tasks must land on (each at least once)

    @model_validator(mode="after")
    def _fields(self) -> ServiceLimitsExpect:
        extra = self.model_extra or {}
        unknown = set(extra) - set(LIMIT_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown limit(s): {', '.join(sorted(unknown))}; limits are {', '.join(LIMIT_FIELDS)}"
            )
        limit_fields(extra)
        return self


class DnsExpect(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    source: str = Field(alias="from")
    name: str  # a container of the lab
    resolves: bool = True


class NatExpect(BaseModel):
    model_config = _STRICT
    container: str | None = None  # a twin on the same networks proves it; default: the default bridge


class PublishedExpect(BaseModel):
    model_config = _STRICT
    container: str
    port: Port  # the container port that is published


class MountExpect(BaseModel):
    model_config = _STRICT
    container: str
    path: ContainerPath
    read_only: bool | None = None
    fstype: str | None = None  # e.g. fuse.glusterfs: a volume across hosts (V1)


class FileExpect(BaseModel):
    model_config = _STRICT
    container: str
    path: ContainerPath
    contains: str


class CpuRatioExpect(BaseModel):
    model_config = _STRICT
    shares: tuple[Shares, Shares] = (1024, 512)  # two busy twins pinned to CPU 0
    seconds: float = Field(default=3.0, gt=0, le=30)
    tolerance: float = Field(default=0.3, gt=0, lt=1)


class DeviceRateExpect(BaseModel):
    model_config = _STRICT
    device: str | None = None  # default: the disk under the engine's data root
    read_bps: str | None = None
    write_bps: str | None = None
    read_iops: int | None = Field(default=None, ge=1, le=INT64_MAX)
    write_iops: int | None = Field(default=None, ge=1, le=INT64_MAX)
    tolerance: float = Field(default=0.1, gt=0, lt=1)

    @model_validator(mode="after")
    def _some(self) -> DeviceRateExpect:
        try:
            if self.device is not None:
                device_path(self.device, field="device")
            for key in ("read_bps", "write_bps"):
                value = getattr(self, key)
                if value is not None:
                    parse_rate(str(value), field=key)
        except InvalidInput as exc:
            raise ValueError(f"{exc.field}: {exc.message}") from None
        if not any((self.read_bps, self.write_bps, self.read_iops, self.write_iops)):
            raise ValueError("give at least one of read_bps, write_bps, read_iops, write_iops")
        return self


class SurvivesExpect(BaseModel):
    model_config = _STRICT
    volume: str  # a volume of this lab
    path: ContainerPath = "/survivor.txt"
    contains: str = "written before the container was removed"


class SharedExpect(BaseModel):
    """V2 across hosts: what a container on one host writes to the volume, a container on another host
    reads; both containers are then gone and a third still reads it (S3) — each mount read as
    fuse.glusterfs from the container's own mount table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    volume: str
    source: str = Field(alias="from")  # the host that writes
    to: str  # the host that reads


class ReplicaExpect(BaseModel):
    """V2: with one host's engine stopped and its brick of the volume down, another host still reads
    what was there and writes (the replica); the host comes back and is healed."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    volume: str
    down: str  # the host taken down
    up: str  # the host that stays up, reading and writing


class CapacityExpect(BaseModel):
    """V1 `--opt=size=N`: the volume holds about N GB and a write beyond it fails (no space left)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    volume: str


class RmVolumesExpect(BaseModel):
    model_config = _STRICT
    volume: str  # a named volume of this lab: `rm -v` must keep it, and remove the anonymous one


class _Kinds(BaseModel):
    model_config = _STRICT

    claim: str
    note: str = ""
    limits: LimitsExpect | None = None
    oom: OomExpect | None = None
    namespaces: NamespacesExpect | None = None
    reachable: TrafficExpect | None = None
    isolated: TrafficExpect | None = None
    dns: DnsExpect | None = None
    nat: NatExpect | None = None
    published: PublishedExpect | None = None
    mount: MountExpect | None = None
    file: FileExpect | None = None
    cpu_ratio: CpuRatioExpect | None = None
    device_rate: DeviceRateExpect | None = None
    survives: SurvivesExpect | None = None
    rm_volumes: RmVolumesExpect | None = None
    interfaces: InterfacesExpect | None = None
    vxlan: VxlanExpect | None = None
    overlay_subnets: OverlaySubnetsExpect | None = None
    direct: DirectExpect | None = None
    service_limits: ServiceLimitsExpect | None = None
    shared: SharedExpect | None = None
    replica: ReplicaExpect | None = None
    capacity: CapacityExpect | None = None


if TYPE_CHECKING:
    _ModelKinds = _Kinds
else:  # each model's expectation kinds, after dockerctl's own
    _ModelKinds = create_model(
        "_ModelKinds",
        __base__=_Kinds,
        **{k: (cls | None, None) for m in _SCHEMAS for k, cls in getattr(m, "EXPECT", {}).items()},
    )


class Expectation(_ModelKinds):
    @model_validator(mode="after")
    def _one(self) -> Expectation:
        # every field but claim and note is a kind of expectation: exactly one is given
        if not CLAIM.match(self.claim):
            raise ValueError(f"claim must be a seed claim id such as R1, N8 or S4, got {self.claim!r}")
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (got {', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    def containers(self) -> list[str]:
        body = getattr(self, self.kind)
        names: list[str] = []
        if self.kind in HOST_PROOFS:
            return names  # they name hosts (and a volume), and run their own containers if any
        for attr in ("container", "a", "b", "source", "to", "name", "service"):
            value = getattr(body, attr, None)
            if isinstance(value, str):
                names.append(value)
        return names


# the kinds of expectation: every field of Expectation but its claim and note (one list, derived)
KINDS: tuple[str, ...] = tuple(k for k in Expectation.model_fields if k not in ("claim", "note"))
# those that prove the storage pool, and those that prove a network model: they name hosts, not containers
POOL_PROOFS = ("shared", "replica", "capacity")
HOST_PROOFS = POOL_PROOFS + tuple(k for m in MODEL_SECTIONS for k in m.proofs)


HOST_LINK = r"[a-z][a-z0-9]{0,14}"  # an interface name (fullmatch)


class HostLink(BaseModel):
    model_config = _STRICT
    peer: str = Field(pattern=rf"^{HOST_LINK}$")  # a veth pair the lab makes (e.g. a macvlan parent)


HOST_NAME = r"[a-z][a-z0-9-]{0,9}"  # also its network namespace's name: short, for veth names (fullmatch)
# the playbook's own sections whose keys are names, beside the topology's (spec/topology.NAMED_SECTIONS)
PLAYBOOK_NAMED_SECTIONS = {
    "hosts": ("host", "h1"),
    "services": ("service", "web"),
    "images": ("image", "app"),
    **{key: (what, example) for m in MODEL_SECTIONS for key, what, example in m.named},
}
LAB_SWITCH_RANGE = ipaddress.ip_network("198.18.0.0/15")


class HostEntry(BaseModel):
    """A host of the lab (seed X): this engine, one dockerctl simulates here, an existing remote one, or
    a VM dockerctl boots here (Debian 12, cgroup v2, systemd driver: a real second kernel)."""

    model_config = _STRICT
    kind: Literal["local", "simulated", "remote", "vm"] = "simulated"
    url: str | None = None  # remote: its DOCKER_HOST URL (ssh://USER@HOST reads its kernel too)
    address: str | None = None  # simulated: its address on the lab switch (default: assigned in order)
    memory: int | None = Field(default=None, ge=1024, le=16384)  # vm: MB of RAM (default 2048)
    cpus: int | None = Field(default=None, ge=1, le=8)  # vm: virtual CPUs (default 2)

    @model_validator(mode="after")
    def _fields(self) -> HostEntry:
        traits = kind_of(self.kind)
        if traits.needs_url:
            if not self.url or not self.url.startswith(("ssh://", "tcp://", "unix://")):
                raise ValueError(
                    "a remote host needs url: ssh://USER@HOST (or tcp://HOST:PORT, unix:///path)"
                )
            _engine_url(self.url)
        elif self.url is not None:
            raise ValueError(f"url is for remote hosts; a {self.kind} host has none")
        if self.address is not None and traits.switch_port == "never":
            raise ValueError("address is the lab-switch address of a simulated or vm host")
        if (self.memory is not None or self.cpus is not None) and not traits.sized:
            raise ValueError("memory and cpus size a VM host (kind: vm)")
        return self


_URL_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a user or host ssh cannot read as an option


def _engine_url(url: str) -> None:
    """A remote engine's URL: ssh://[USER@]HOST[:PORT], tcp://HOST:PORT or unix:///PATH, whose user and host
    cannot be read by ssh as an option (`-oProxyCommand=…`) nor hold anything but name characters."""
    from urllib.parse import urlsplit

    right = "give e.g. ssh://admin@10.0.0.5, tcp://10.0.0.5:2376 or unix:///run/docker.sock"
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError(f"url {url[:80]!r} holds spaces or control characters: {right}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"url {url[:80]!r}: {exc}; {right}") from None
    if parts.scheme == "unix":
        if parts.netloc or not parts.path.startswith("/"):
            raise ValueError(f"url {url[:80]!r}: a socket's absolute path after unix://; {right}")
        return
    host, user = parts.hostname or "", parts.username
    if parts.password is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"url {url[:80]!r}: only [USER@]HOST[:PORT] after {parts.scheme}://; {right}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _URL_PART.fullmatch(host):
            raise ValueError(
                f"host {host[:80]!r} of url {url[:80]!r} is not a host name or address (it must start with a "
                f"letter or digit, never '-'): {right}"
            ) from None
    if user is not None and not _URL_PART.fullmatch(user):
        raise ValueError(
            f"user {user[:80]!r} of url {url[:80]!r} is not a user name (letters, digits, '_', '.', '-', "
            f"not starting with '-'): {right}"
        )
    if parts.scheme == "tcp" and port is None:
        raise ValueError(f"url {url[:80]!r}: tcp:// needs a port, e.g. tcp://10.0.0.5:2376")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"port {port} of url {url[:80]!r}: give 1-65535")


class SwitchEntry(BaseModel):
    """The lab switch: one bridge on this machine joining the simulated hosts (lab addresses only)."""

    model_config = _STRICT
    subnet: str = "198.18.100.0/24"


class ServiceEntry(BaseModel):
    """A swarm service (beyond the course): replicas, limits and reservations, placement."""

    model_config = _STRICT
    image: str = "dockerctl/base:latest"
    command: list[str] | str | None = None
    replicas: int = Field(default=1, ge=0, le=50)
    networks: list[str] = Field(default_factory=list)  # overlay networks of this lab
    limit_memory: str | None = None  # --limit-memory
    limit_cpu: Cpus = None  # --limit-cpu
    reserve_memory: str | None = None  # --reserve-memory
    reserve_cpu: Cpus = None  # --reserve-cpu
    host: str | None = None  # placement: only on this host of the lab
    max_per_host: int | None = Field(default=None, ge=1, le=50)  # placement: at most this many per node

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return image_ref(value)

    def argv(self) -> list[str]:
        if self.command is None:
            return ["sleep", "infinity"]
        return ["sh", "-c", self.command] if isinstance(self.command, str) else list(self.command)


class _PlaybookHead(Topology):
    model_config = _DEFER  # merged with Topology's
    version: Literal[1]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    description: str = ""
    swarm: bool = False  # overlay networks need swarm mode: joined for the lab, left again (X3)
    hosts: dict[str, HostEntry] = Field(default_factory=dict)  # none: everything on this engine
    switch: SwitchEntry = Field(default_factory=SwitchEntry)
    services: dict[str, ServiceEntry] = Field(default_factory=dict)
    storage: StorageEntry | None = None  # a GlusterFS pool across simulated hosts (V1, V2)


if TYPE_CHECKING:
    _PlaybookModels = _PlaybookHead
else:  # each model's section (absent: the lab does not use it) and the keys of the playbook it owns
    _PlaybookModels = create_model(
        "_PlaybookModels",
        __base__=_PlaybookHead,
        **{m.__name__.split(".")[-2]: (m.SCHEMA | None, None) for m in _SCHEMAS},
        **{k: v for m in _SCHEMAS for k, v in getattr(m, "KEYS", {}).items()},
    )


class Playbook(_PlaybookModels):
    host_links: dict[str, HostLink] = Field(default_factory=dict)
    images: dict[str, ImageEntry] = Field(default_factory=dict)
    expect: list[Expectation] = Field(default_factory=list)

    _source: str = PrivateAttr(default="")
    _lines: dict[Any, int] = PrivateAttr(default_factory=dict)
    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)  # those of models registered later

    @model_validator(mode="before")
    @classmethod
    def _playbook_names(cls, data: Any) -> Any:
        """The playbook's own names, before any field (the topology's are checked by Topology._names)."""
        check_section_names(data, PLAYBOOK_NAMED_SECTIONS)
        return data

    def section(self, key: str) -> Any:
        """A model's section: a field (a built-in model's, from the registry) or one of a model registered
        later (spec/netmodels.register); None when the playbook has none."""
        if key in type(self).model_fields:
            return getattr(self, key)
        return self._sections.get(key)

    def where(self, dotted: str) -> str:
        """FILE:LINE of a key of this playbook (for errors found after validation, e.g. at a host)."""
        line = line_of(self._lines, _path(dotted)) if self._lines else None
        return f"{self._source}:{line or 1}" if self._source else dotted

    @property
    def default_host(self) -> str:
        return next(iter(self.hosts), "local")

    @property
    def manager(self) -> str:
        """The host that inits swarm mode (and keeps the overlay networks): the first one."""
        return self.default_host

    def host_of(self, entry: Any) -> str:
        if isinstance(entry, NetworkEntry) and entry.driver == "overlay":
            return self.manager
        if self.on_pool(entry) and self.storage is not None and self.storage.hosts and entry.host is None:
            return self.storage.hosts[0]
        return str(getattr(entry, "host", None) or self.default_host)

    def on_pool(self, entry: Any) -> bool:
        """A volume of the storage pool: one volume, the same data, on every host of the pool."""
        return getattr(entry, "driver", None) == GLUSTER_DRIVER and not isinstance(entry, NetworkEntry)

    def has_switch(self) -> bool:
        """The lab has a switch: it has a simulated host, or the playbook says `switch:`, or a VM host
        is given an address on it."""
        return "switch" in self.model_fields_set or any(
            kind_of(h.kind).gives_switch(h.address is not None) for h in self.hosts.values()
        )

    def on_switch(self, name: str) -> bool:
        """Host `name` has a port on the lab switch: every simulated host, and VM hosts when there is one."""
        return kind_of(self.hosts[name].kind).on_switch(self.has_switch())

    def _daemon_hosts(self) -> list[str]:
        """The hosts that run a network model's per-host daemons (and a storage pool's glusterd)."""
        return [n for n, h in self.hosts.items() if kind_of(h.kind).lab_daemons]

    def switch_addresses(self) -> dict[str, str]:
        """Each switch port's address (CIDR) — simulated and VM hosts: given, else .10, .11 … in order."""
        net = ipaddress.ip_network(self.switch.subnet)
        taken = {h.address for h in self.hosts.values() if h.address}
        out: dict[str, str] = {}
        free = (str(ip) for ip in list(net.hosts())[9:] if str(ip) not in taken)
        for name, h in self.hosts.items():
            if self.on_switch(name):
                out[name] = f"{h.address or next(free)}/{net.prefixlen}"
        return out

    def lab_addresses(self) -> dict[str, str]:
        """Each host's address on the lab switch (no prefix): simulated hosts' own, this machine's (.1)."""
        out = {name: cidr.split("/")[0] for name, cidr in self.switch_addresses().items()}
        if out:
            gateway = str(next(ipaddress.ip_network(self.switch.subnet).hosts()))
            out.update({name: gateway for name, h in self.hosts.items() if kind_of(h.kind).this_machine})
        return out

    def _plugin_networks(
        self, nets: dict[str, NetworkEntry], hosts: list[str], model: str, source: str
    ) -> None:
        """A model's networks: one per simulated host, addresses from the model."""
        seen: dict[str, str] = {}
        for name, n in nets.items():
            host = self.host_of(n)
            if host not in hosts:
                raise InvalidInput(
                    f"a {model} network lives on a simulated host ({', '.join(hosts)}), not on {host}",
                    where=f"networks.{name}.host",
                )
            if host in seen:
                raise InvalidInput(
                    f"host {host} has {model} network {seen[host]} already: one per host",
                    where=f"networks.{name}.host",
                )
            seen[host] = name
            given = [k for k in ("subnet", "gateway", "ip_range") if getattr(n, k)] + list(n.options)
            if given:
                raise InvalidInput(
                    f"{', '.join(given)}: a {model} network {source}; leave them out",
                    where=f"networks.{name}",
                )

    def resolver_of(self, driver: str) -> str | None:
        """The name server containers on a network of `driver` use, when its model runs one for the lab
        (its section's `resolver`); None: the engine's own."""
        m = next((m for m in MODEL_SECTIONS if m.driver == driver), None)
        if m is None or m.resolver is None or self.section(m.key) is None or not self.model_hosts(m.key):
            return None
        return m.resolver(self.section(m.key), len(self.model_hosts(m.key)))

    def model_hosts(self, key: str) -> list[str]:
        """The hosts a network model runs on: every simulated host (as the real projects run their
        per-node daemon on every node) when the playbook has the model's section."""
        return self._daemon_hosts() if self.section(key) is not None else []

    @model_validator(mode="after")
    def _host_cpus(self) -> Playbook:
        """Each container's cpus and cpuset within its host's CPUs: a VM's own (default 2), this machine's
        for the others it runs here; a remote host's are not known before it is reached."""
        for name, c in self.containers.items():
            host = self.host_of(c)
            entry = self.hosts.get(host)
            kind = entry.kind if entry is not None else "local"
            if kind == "remote":
                continue
            cpus = (entry.cpus or 2) if entry is not None and kind == "vm" else os.cpu_count()
            c.host_cpus(cpus, f"containers.{name}", "this machine" if kind != "vm" else f"VM host {host}")
        return self

    @model_validator(mode="after")
    def _own_labels(self) -> Playbook:
        for cname, c in self.containers.items():
            bad = [k for k in c.labels if k.startswith("io.dockerctl.")]
            if bad:
                raise InvalidInput(
                    f"{', '.join(bad)}: io.dockerctl.* labels are dockerctl's own",
                    where=f"containers.{cname}.labels",
                )
        return self

    @model_validator(mode="after")
    def _models(self) -> Playbook:
        """Each network model's section against the rest of the playbook (spec/sections.ModelSection)."""
        for m in MODEL_SECTIONS:
            nets = {name: n for name, n in self.networks.items() if n.driver == m.driver}
            section = self.section(m.key)
            if section is None:
                for name in nets:
                    raise InvalidInput(
                        f"the {m.driver} driver is {m.key}'s model: add {m.key}: {m.example}",
                        where=f"networks.{name}.driver",
                    )
                continue
            hosts = self.model_hosts(m.key)
            if len(hosts) < 2:
                raise InvalidInput(
                    f"{m.key} joins hosts: give the playbook two or more simulated hosts", where=m.key
                )
            m.check(section, len(hosts))
            self._plugin_networks(nets, hosts, m.key, m.addresses)
        for schema in _SCHEMAS:  # what a model's keys ask of the rest of the playbook, in its schema.py
            check = getattr(schema, "check_playbook", None)
            if check is not None:
                check(self)
        return self

    @model_validator(mode="after")
    def _storage(self) -> Playbook:
        pool = self.storage
        if pool is not None:
            if len(pool.hosts) < 2:
                raise InvalidInput(
                    f"a storage pool needs two or more hosts (its volumes are replicated across them); got "
                    f"{len(pool.hosts)}: e.g. storage: {{hosts: [h1, h2]}}",
                    where="storage.hosts",
                )
            for h in pool.hosts:
                entry = self.hosts.get(h)
                if entry is None or not kind_of(entry.kind).lab_daemons:
                    simulated = self._daemon_hosts()
                    raise InvalidInput(
                        f"{h!r} is not a simulated host of this playbook; the pool's hosts are simulated hosts"
                        + (f" ({', '.join(simulated)})" if simulated else " (add them under hosts:)"),
                        where="storage.hosts",
                    )
            if len(set(pool.hosts)) != len(pool.hosts):
                raise InvalidInput(
                    "a host is named twice: name each host of the pool once", where="storage.hosts"
                )
            if pool.brick_dir is not None and not pool.brick_dir.startswith("/"):
                raise InvalidInput(
                    f"{pool.brick_dir!r} is not an absolute path: give e.g. /srv/bricks, or leave brick_dir out",
                    where="storage.brick_dir",
                )
        for name, v in self.volumes.items():
            if not self.on_pool(v):
                continue
            if pool is None:
                raise InvalidInput(
                    f"the {GLUSTER_DRIVER} driver serves a storage pool: add storage: {{hosts: [h1, h2]}}",
                    where=f"volumes.{name}.driver",
                )
            volume_size_gb(v.options, where=f"volumes.{name}.options")
            if v.host is not None and v.host not in pool.hosts:
                raise InvalidInput(
                    f"{v.host!r} is not a host of the storage pool ({', '.join(pool.hosts)})",
                    where=f"volumes.{name}.host",
                )
        return self

    @model_validator(mode="after")
    def _hosts(self) -> Playbook:
        if not self.hosts:
            for kind, entries in (
                ("containers", self.containers),
                ("networks", self.networks),
                ("volumes", self.volumes),
            ):
                for name, entry in entries.items():
                    if entry.host not in (None, "local"):
                        raise InvalidInput(
                            f"host {entry.host!r} is not defined: add a hosts: section",
                            where=f"{kind}.{name}.host",
                        )
            return self
        if sum(kind_of(h.kind).this_machine for h in self.hosts.values()) > 1:
            raise InvalidInput("at most one host can be this engine (kind: local)", where="hosts")
        for name in self.hosts:
            if not re.fullmatch(HOST_NAME, name):
                raise InvalidInput(
                    f"host name {name!r}: a lowercase letter, then letters, digits or '-', at most 10",
                    where=f"hosts.{name}",
                )
        try:
            net = ipaddress.ip_network(self.switch.subnet)
        except ValueError:
            raise InvalidInput(
                f"{self.switch.subnet!r} is not a subnet such as 198.18.100.0/24", where="switch.subnet"
            ) from None
        if not net.subnet_of(LAB_SWITCH_RANGE):  # type: ignore[arg-type]
            raise InvalidInput(
                f"{net} is outside the lab range {LAB_SWITCH_RANGE}: lab traffic stays on this machine",
                where="switch.subnet",
            )
        if not 4 <= net.prefixlen <= 28:
            raise InvalidInput(f"{net} is too small for a lab switch: use a /24", where="switch.subnet")
        seen: dict[str, str] = {}
        for name, h in self.hosts.items():
            if h.address is not None:
                try:
                    ip = ipaddress.ip_address(h.address)
                except ValueError:
                    raise InvalidInput(
                        f"{h.address!r} is not an IPv4 address", where=f"hosts.{name}.address"
                    ) from None
                if ip not in net or ip in (net.network_address, net.broadcast_address, next(net.hosts())):
                    raise InvalidInput(
                        f"{ip} is not a host address of the switch {net} (.1 is this machine's)",
                        where=f"hosts.{name}.address",
                    )
                if h.address in seen:
                    raise InvalidInput(
                        f"{ip} is also host {seen[h.address]}'s address: give each host its own (or leave it out)",
                        where=f"hosts.{name}.address",
                    )
                seen[h.address] = name
        sections: tuple[tuple[str, dict[str, Any]], ...] = (
            ("containers", self.containers),
            ("networks", self.networks),
            ("volumes", self.volumes),
            ("services", self.services),
        )
        for kind, entries in sections:
            for name, entry in entries.items():
                if entry.host is not None and entry.host not in self.hosts:
                    raise InvalidInput(
                        f"host {entry.host!r} is not one of this playbook's hosts ({', '.join(self.hosts)})",
                        where=f"{kind}.{name}.host",
                    )
        for name, entry in self.networks.items():
            host = self.hosts.get(self.host_of(entry))
            parent = entry.options.get("parent")
            if (
                entry.driver == "macvlan"
                and host is not None
                and self.on_switch(self.host_of(entry))
                and parent != "eth0"
            ):
                raise InvalidInput(
                    f"parent {parent!r}: on {host.kind} host {self.host_of(entry)} the port on the lab switch is "
                    "eth0 (use options: {parent: eth0})",
                    where=f"networks.{name}.options",
                )
        for name, c in self.containers.items():
            here = self.host_of(c)
            for net_name in c.networks:
                n = self.networks.get(net_name)
                if n is not None and n.driver != "overlay" and self.host_of(n) != here:
                    raise InvalidInput(
                        f"network {net_name!r} is on host {self.host_of(n)}, the container on {here}: only "
                        "overlay networks span hosts (seed X3)",
                        where=f"containers.{name}.networks",
                    )
            for ref in [*c.volumes_from, (c.network_mode or "").removeprefix("container:")]:
                other = self.containers.get(ref.split(":", 1)[0]) if ref else None
                if other is not None and self.host_of(other) != here:
                    raise InvalidInput(
                        f"{ref.split(':', 1)[0]!r} runs on host {self.host_of(other)}, this container on {here}: put them on "
                        "one host",
                        where=f"containers.{name}",
                    )
            for mount in c.volumes:
                v = self.volumes.get(mount.split(":", 1)[0])
                pool_hosts = self.storage.hosts if self.storage else []
                if v is not None and self.on_pool(v):
                    if here not in pool_hosts:
                        raise InvalidInput(
                            f"volume {mount.split(':', 1)[0]!r} lives in the storage pool ({', '.join(pool_hosts)}), "
                            f"the container on {here}: run it on a host of the pool",
                            where=f"containers.{name}.volumes",
                        )
                elif v is not None and self.host_of(v) != here:
                    raise InvalidInput(
                        f"volume {mount.split(':', 1)[0]!r} is on host {self.host_of(v)}, the container on {here}: "
                        "put them on one host (a volume lives on its host's disk)",
                        where=f"containers.{name}.volumes",
                    )
        return self

    @model_validator(mode="after")
    def _services(self) -> Playbook:
        for name, svc in self.services.items():
            if not self.swarm:
                raise InvalidInput("services need `swarm: true`", where=f"services.{name}")
            for net_name in svc.networks:
                n = self.networks.get(net_name)
                if n is None or n.driver != "overlay":
                    raise InvalidInput(
                        f"{net_name!r} is not an overlay network of this playbook: services attach to overlays",
                        where=f"services.{name}.networks",
                    )
            for key in ("limit_memory", "reserve_memory"):
                value = getattr(svc, key)
                if value is not None:
                    try:
                        parse_size(value, field=key)
                    except InvalidInput as exc:
                        raise InvalidInput(exc.message, where=f"services.{name}.{key}") from None
            if name in self.containers:
                raise InvalidInput(
                    f"{name!r} is a container too: names are the lab's, one each", where=f"services.{name}"
                )
        return self

    @model_validator(mode="after")
    def _expectations(self) -> Playbook:
        import re as _re

        for link in self.host_links:
            if not _re.fullmatch(HOST_LINK, link):
                raise InvalidInput(
                    f"host link name {link!r}: lowercase letters and digits, at most 15",
                    where=f"host_links.{link}",
                )
        parents: dict[tuple[str, str], str] = {}
        for name, n in self.networks.items():
            if n.driver == "overlay" and not self.swarm:
                raise InvalidInput(
                    "an overlay network needs `swarm: true` (seed X3)", where=f"networks.{name}.driver"
                )
            if n.driver == "macvlan":
                parent = n.options.get("parent")
                if not parent or not n.subnet:
                    raise InvalidInput(
                        "a macvlan network needs options.parent and a subnet (seed X8)",
                        where=f"networks.{name}",
                    )
                key = (self.host_of(n), parent)
                if key in parents:
                    raise InvalidInput(
                        f"{parent} already carries macvlan network {parents[key]}: one macvlan "
                        "network per interface (seed X10): use another parent",
                        where=f"networks.{name}.options",
                    )
                parents[key] = name
        for i, e in enumerate(self.expect):
            body = getattr(e, e.kind)
            nets = [getattr(body, "network", None), *(getattr(body, "networks", None) or [])]
            for net_name in (n for n in nets if n is not None):
                if net_name not in self.networks or self.networks[net_name].driver != "overlay":
                    raise InvalidInput(
                        f"{net_name!r} is not an overlay network of this playbook",
                        where=f"expect.{i}.{e.kind}",
                    )
            for host in (getattr(body, "hosts", None) or []) if e.kind == "service_limits" else []:
                if host not in self.hosts:
                    raise InvalidInput(
                        f"{host!r} is not one of this playbook's hosts", where=f"expect.{i}.{e.kind}"
                    )
            vol = getattr(body, "volume", None)
            if vol is not None and vol not in self.volumes:
                raise InvalidInput(
                    f"expectation names volume {vol!r}, which is not defined", where=f"expect.{i}.{e.kind}"
                )
            if e.kind in POOL_PROOFS:
                if vol is None or not self.on_pool(self.volumes[vol]):
                    raise InvalidInput(
                        f"{e.kind} proves a volume of the storage pool; {vol!r} is not one "
                        f"(driver: {GLUSTER_DRIVER})",
                        where=f"expect.{i}.{e.kind}",
                    )
                pool_hosts = self.storage.hosts if self.storage else []
                for attr in ("source", "to", "down", "up"):
                    h = getattr(body, attr, None)
                    if h is not None and h not in pool_hosts:
                        raise InvalidInput(
                            f"{h!r} is not a host of the storage pool ({', '.join(pool_hosts)})",
                            where=f"expect.{i}.{e.kind}",
                        )
            for m in (m for m in MODEL_SECTIONS if e.kind in m.proofs):
                model_hosts = self.model_hosts(m.key)
                if not model_hosts:
                    raise InvalidInput(
                        f"{e.kind} proves {m.key}'s model: add {m.key}: {m.example}",
                        where=f"expect.{i}.{e.kind}",
                    )
                one = getattr(body, "host", None)
                named = [one] if one is not None else list(getattr(body, "hosts", None) or [])
                for h in named:
                    if h not in model_hosts:
                        raise InvalidInput(
                            f"{h!r} is not a {m.key} host of this playbook ({', '.join(model_hosts)})",
                            where=f"expect.{i}.{e.kind}",
                        )
            for name in e.containers():
                if name not in self.containers and name not in self.services:
                    raise InvalidInput(
                        f"expectation names container {name!r}, which is not defined",
                        where=f"expect.{i}.{e.kind}",
                    )
        for name, c in self.containers.items():
            if c.image not in self.images and "/" not in c.image and ":" not in c.image:
                raise InvalidInput(
                    f"image {c.image!r} is neither under images nor a local image reference: define it under images: "
                    "(build: DIR) or name a local image such as dockerctl/base",
                    where=f"containers.{name}.image",
                )
        return self


def _path(dotted: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


MAPPING_SECTIONS = {
    "containers": "containers:\n  web: {image: dockerctl/base, memory: 64M}",
    "networks": "networks:\n  front: {subnet: 172.31.100.0/24}",
    "volumes": "volumes:\n  data: {}",
    "images": "images:\n  app: {build: ./app}",
    "host_links": "host_links:\n  mv0: {peer: mv0p}",
}


NAMED_ENTRIES = (
    "containers", "networks", "volumes", "images", "hosts", "services",
    *(key for m in MODEL_SECTIONS for key, _what, _example in m.named), "host_links",
)  # fmt: skip


def _empty_is_default(data: dict[str, Any]) -> None:
    """A key written with no value means its default, as people write YAML: `volumes: {data:}` (or
    `data:` on its own line) is a volume with no settings, an empty `containers:` has none."""
    for key in [k for k, v in data.items() if v is None and k not in ("version", "name")]:
        del data[key]
    for section in NAMED_ENTRIES:
        entries = data.get(section)
        if isinstance(entries, dict):
            for name in [n for n, v in entries.items() if v is None]:
                entries[name] = {}


def _check_sections(data: dict[str, Any], path: Path, lines: dict[Any, int]) -> None:
    """A section written as a list (`- name: x`) instead of a mapping: say so at its line, with the form."""
    for key, example in MAPPING_SECTIONS.items():
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            shape = "a list" if isinstance(value, list) else f"a {type(value).__name__}"
            raise InvalidInput(
                f"{key}: is {shape}, but it must be a mapping from each name to its settings, e.g.\n{example}",
                where=f"{path}:{line_of(lines, (key,)) or 1}",
            )


def _resolve_binds(data: dict[str, Any], base: Path) -> None:
    """Host paths written ./x or ../x in a playbook are relative to the playbook's own directory."""
    for entry in (data.get("containers") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("volumes"), list):
            entry["volumes"] = [
                str((base / v.split(":", 1)[0]).resolve()) + ":" + v.split(":", 1)[1]
                if isinstance(v, str) and v.startswith(("./", "../")) and ":" in v
                else v
                for v in entry["volumes"]
            ]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the key at `loc` (for naming the keys it allows)."""
    import types
    import typing

    current: Any = Playbook
    steps = list(loc[:-1])
    while steps:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(steps.pop(0)))
        if field is None:
            return None
        current = field.annotation
        while True:
            origin = typing.get_origin(current)
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if origin in (typing.Union, types.UnionType) and args:
                current = args[0]
            elif origin in (dict, list) and args and steps:
                current = args[-1]
                steps.pop(0)  # the dict key or list index
            else:
                break
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _friendly(error: Any, loc: tuple[Any, ...], section: type[BaseModel] | None = None) -> str:
    """pydantic's message, with what would be right where it does not say. section: the registered
    section's class when the key is in one (spec/sections.py)."""
    msg = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        model = section if section is not None and len(loc) == 2 else _model_at(loc)
        allowed = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        return f"unknown key {loc[-1]!r}" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    if error["type"] == "string_pattern_mismatch" and loc == ("name",):
        return "use lowercase letters, digits and '-', starting with a letter or digit, at most 41 (e.g. web-tier)"
    if error["type"] == "literal_error":
        return f"{msg} (got {error.get('input')!r})"
    return msg


INT64 = (-(2**63), 2**63 - 1)  # the engine's numbers are Go int64s


def _check_numbers(data: Any, at: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], str] | None:
    """The first number no field of a playbook can hold — an integer beyond the engine's int64, a float
    that is infinite or not a number — as (its path, what is wrong)."""
    import math

    stack: list[tuple[tuple[Any, ...], Any]] = [(at, data)]
    seen: set[int] = set()
    while stack:
        here, value = stack.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
            return (
                here,
                f"{value} is beyond the engine's 64-bit range (at most {INT64[1]}): give a smaller number",
            )
        if isinstance(value, float) and not math.isfinite(value):
            return here, f"{value} is not a finite number: give a number such as 1.5"
        if isinstance(value, dict | list) and id(value) not in seen:
            seen.add(id(value))  # an alias's value is checked once
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend(((*here, k), v) for k, v in items)
    return None


def load_playbook(path: str | Path) -> Playbook:
    """Read and validate a playbook; errors say FILE:LINE: key: what is wrong (and, for a value that came
    through an alias or a merge key, the line of that alias too)."""
    path = Path(path)
    text = read_text(path, what="a playbook", hint="give the path of a playbook (YAML) file", where="FILE")
    doc = load_yaml(text, str(path))
    data, lines = doc.data, doc.lines

    def where(loc: tuple[Any, ...]) -> str:
        return f"{path}:{line_of(lines, loc) or 1}"

    def through(loc: tuple[Any, ...]) -> str:
        by = via_of(doc.via, loc)
        return f" (brought in by the alias or merge key at line {by})" if by is not None else ""

    if not isinstance(data, dict):
        raise InvalidInput("a playbook is a mapping (version, name, containers, …)", where=f"{path}:1")
    for key in [k for k in data if k.startswith("x-")]:  # extension fields hold anchors, as in compose
        del data[key]
    _empty_is_default(data)
    bad = _check_numbers(data)
    if bad is not None:
        loc, problem = bad
        key = ".".join(str(p) for p in loc)
        raise InvalidInput(f"{key}: {problem}{through(loc)}", where=where(loc))
    _check_sections(data, path, lines)
    _resolve_binds(data, path.resolve().parent)
    plugged_in = {k: cls for k, cls in registry.schemas().items() if k not in Playbook.model_fields}
    plugged = {key: data.pop(key) for key in list(data) if key in plugged_in}  # later models' sections
    at: tuple[Any, ...] = ()
    try:
        pb = Playbook.model_validate(data)
        for key, body in plugged.items():
            at = (key,)
            pb._sections[key] = plugged_in[key].model_validate(body if body is not None else {})
        pb._source, pb._lines = str(path), lines
        return pb
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = (*at, *first["loc"])
        key = ".".join(str(p) for p in loc)
        msg = _friendly(first, loc, plugged_in[at[0]] if at else None)
        raise InvalidInput(f"{key}: {msg}{through(loc)}" if key else msg, where=where(loc)) from None
    except InvalidInput as exc:
        dotted = exc.where or ""
        at = exc.at if isinstance(exc, BadName) else _path(dotted)  # a name may hold '.': its own path
        line = line_of(lines, at) if dotted else None
        exc.message = f"{dotted}: {exc.message}" if dotted else exc.message
        if exc.field and not dotted:
            exc.message = f"{exc.field}: {exc.message}"
        if dotted:
            exc.message += through(at)
        exc.where = f"{path}:{line or 1}"
        raise
