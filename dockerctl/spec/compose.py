"""A compose project as its file asks it: services with their resource keys, networks, mounts, ports and
how many containers each should have. Pure: the normalized model comes from Docker Compose v2's own
`config --format json` (engines/compose_cli.py) or from the own reader's subset below (compose's YAML
rules: spec/yamlpos.py, schema="compose"); nothing here runs anything.

Each resource key maps to the engine's HostConfig as docker/compose's `pkg/compose/create.go` maps it
(../shared/design/estate.md); every asked value is kept with the FILE:LINE the operator wrote it at.
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.errors import InvalidInput
from dockerctl.spec.units import parse_size
from dockerctl.spec.yamlpos import GoTime, Path_, line_of, load_with_lines, load_yaml, read_text, via_of

# ---------------------------------------------------------------------------------------------------------
# resource keys


@dataclass(frozen=True)
class ComposeKey:
    """One resource key of the compose spec and where compose puts it in HostConfig."""

    path: tuple[str, ...]  # under the service: ("deploy", "resources", "limits", "memory")
    host_config: str  # HostConfig key ("" when compose passes it to nobody outside swarm)
    kind: str  # how the value reads: size | int | cpus | bool | str | rates | ulimit
    field: str = ""  # the Limits field whose kernel check proves it ("" = an extra reading)
    dropped_by_compose: str = ""  # why compose never passes it to the engine (outside swarm)

    @property
    def name(self) -> str:
        return ".".join(self.path)


KEYS: tuple[ComposeKey, ...] = (
    ComposeKey(("mem_limit",), "Memory", "size", "memory"),
    ComposeKey(("deploy", "resources", "limits", "memory"), "Memory", "size", "memory"),
    ComposeKey(("memswap_limit",), "MemorySwap", "size", "memory_swap"),
    ComposeKey(("mem_reservation",), "MemoryReservation", "size"),
    ComposeKey(("deploy", "resources", "reservations", "memory"), "MemoryReservation", "size"),
    ComposeKey(("mem_swappiness",), "MemorySwappiness", "int"),
    ComposeKey(("oom_kill_disable",), "OomKillDisable", "bool"),
    ComposeKey(("oom_score_adj",), "OomScoreAdj", "int"),
    ComposeKey(("cpus",), "NanoCpus", "cpus", "cpus"),
    ComposeKey(("deploy", "resources", "limits", "cpus"), "NanoCpus", "cpus", "cpus"),
    ComposeKey(
        ("deploy", "resources", "reservations", "cpus"),
        "",
        "cpus",
        dropped_by_compose="a swarm option: compose passes CPU reservations to swarm services only",
    ),
    ComposeKey(("cpu_shares",), "CpuShares", "int", "cpu_shares"),
    ComposeKey(("cpu_quota",), "CpuQuota", "int"),
    ComposeKey(("cpu_period",), "CpuPeriod", "int"),
    ComposeKey(("cpuset",), "CpusetCpus", "str", "cpuset_cpus"),
    ComposeKey(("pids_limit",), "PidsLimit", "int", "pids_limit"),
    ComposeKey(("deploy", "resources", "limits", "pids"), "PidsLimit", "int", "pids_limit"),
    ComposeKey(("blkio_config", "weight"), "BlkioWeight", "int", "blkio_weight"),
    ComposeKey(("blkio_config", "device_read_bps"), "BlkioDeviceReadBps", "rates", "device_read_bps"),
    ComposeKey(("blkio_config", "device_write_bps"), "BlkioDeviceWriteBps", "rates", "device_write_bps"),
    ComposeKey(("blkio_config", "device_read_iops"), "BlkioDeviceReadIOps", "rates", "device_read_iops"),
    ComposeKey(("blkio_config", "device_write_iops"), "BlkioDeviceWriteIOps", "rates", "device_write_iops"),
    ComposeKey(("shm_size",), "ShmSize", "size"),
    ComposeKey(("ulimits",), "Ulimits", "ulimit"),
)
# Keys compose maps that dockerctl reads no kernel file for (yet): reported as "unknown", never skipped.
UNCHECKED: dict[tuple[str, ...], str] = {
    ("cpu_rt_runtime",): "CpuRealtimeRuntime",
    ("cpu_rt_period",): "CpuRealtimePeriod",
    ("cpu_count",): "CpuCount",
    ("cpu_percent",): "CpuPercent",
    ("blkio_config", "weight_device"): "BlkioWeightDevice",
    ("deploy", "resources", "reservations", "devices"): "DeviceRequests",
}


@dataclass(frozen=True)
class Ask:
    """One value the file asks of a service, in the engine's terms."""

    key: str  # the compose key, dotted ("deploy.resources.limits.memory", "ulimits.nofile")
    spec: ComposeKey | None  # None for a key dockerctl does not read the kernel for
    value: Any  # normalized: bytes, NanoCpus, a bool, {"soft","hard"}, ((path, rate), …)
    shown: str  # as a person reads it ("64MiB", "0.5 CPUs", "1024/2048")
    where: str  # FILE:LINE
    host_config: str  # the HostConfig key it lands in
    cannot_hold: str = ""  # why no kernel can hold the value as compose passes it ("" when one can)


@dataclass(frozen=True)
class ServiceNetwork:
    name: str  # the key in the file
    aliases: tuple[str, ...]
    ipv4_address: str | None = None


@dataclass(frozen=True)
class ServiceMount:
    type: str  # volume | bind | tmpfs
    source: str  # volume name as the file gives it, host path, or ""
    target: str
    read_only: bool
    where: str


@dataclass(frozen=True)
class ServicePort:
    target: int
    published: int | None
    host_ip: str
    protocol: str
    where: str


@dataclass
class ComposeService:
    name: str
    where: str
    asks: list[Ask] = field(default_factory=list)
    networks: list[ServiceNetwork] = field(default_factory=list)
    network_mode: str | None = None  # host | none | container:NAME | service:NAME
    mounts: list[ServiceMount] = field(default_factory=list)
    ports: list[ServicePort] = field(default_factory=list)
    replicas: int = 1


@dataclass(frozen=True)
class ComposeNetwork:
    key: str  # the name in the file
    name: str  # the engine's name (PROJECT_KEY unless `name:` is given)
    driver: str | None
    subnets: tuple[str, ...]
    external: bool
    where: str


@dataclass
class ComposeProject:
    name: str
    files: tuple[str, ...]
    reader: str  # what normalized the file: "docker compose v2.40.3 config" or "dockerctl's own reader (…)"
    services: dict[str, ComposeService] = field(default_factory=dict)
    networks: dict[str, ComposeNetwork] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)  # key in the file → the engine's volume name
    model: dict[str, Any] = field(default_factory=dict, repr=False)  # the normalized model itself
    notes: list[str] = field(default_factory=list)  # what the file asks that compose reads as nothing


# ---------------------------------------------------------------------------------------------------------
# FILE:LINE of a key


_WALK_LIMIT = 100_000  # nodes visited for lines: an alias bomb is cut short, never expanded


def node_lines(text: str) -> dict[Path_, int]:
    """Key path → line from YAML's nodes alone (no values built): merge keys (`<<: *a`, `<<: [*a, *b]`)
    give the merged keys the lines where the anchor wrote them, keys of the mapping itself win. For what
    the position-keeping loader cannot read; {} when the text is not YAML at all."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:
        return {}
    lines: dict[Path_, int] = {}
    budget = [_WALK_LIMIT]

    def pairs(node: Any, depth: int = 0) -> list[tuple[Any, Any]]:
        """A mapping's own keys, then those its merge keys bring (YAML's rule: the first one wins)."""
        own, merged = [], []
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge" and depth < 20:
                for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                    if isinstance(m, yaml.MappingNode):
                        merged += pairs(m, depth + 1)
            else:
                own.append((k, v))
        return own + merged

    def walk(node: Any, path: Path_) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            return
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in pairs(node):
                key = (*path, str(k.value))
                if key not in lines:
                    lines[key] = k.start_mark.line + 1
                    walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


class Locator:
    """Key path → FILE:LINE: the last file that writes the deepest part of the path (later files
    override earlier ones, as compose merges them). A value that came through an anchor — an alias or a
    merge key (`<<: *limits`) — is named at the line that writes it and at the line that brought it in."""

    def __init__(
        self, files: Mapping[str, dict[Path_, int]], via: Mapping[str, dict[Path_, int]] | None = None
    ) -> None:
        self._files = dict(files)
        self._via = dict(via or {})

    @classmethod
    def of(cls, paths: list[str]) -> Locator:
        lines: dict[str, dict[Path_, int]] = {}
        via: dict[str, dict[Path_, int]] = {}
        for p in paths:
            try:
                text = Path(p).read_text()
            except (OSError, UnicodeDecodeError):
                lines[p] = {}
                continue
            try:
                doc = load_yaml(text, p, schema="compose")
                lines[p], via[p] = doc.lines, doc.via
            except InvalidInput:
                lines[p] = {}
            except Exception:  # YAML the position-keeping loader cannot build (yet): lines from the nodes
                lines[p] = node_lines(text)
        return cls(lines, via)

    def line(self, path: Path_) -> str:
        for depth in range(len(path), 0, -1):
            prefix = path[:depth]
            for name, lines in reversed(self._files.items()):
                if prefix in lines:
                    came = via_of(self._via.get(name, {}), path)
                    if came is not None and came != lines[prefix]:
                        return f"{name}:{lines[prefix]} (brought in at line {came})"
                    return f"{name}:{lines[prefix]}"
        return next(iter(self._files), "?")

    def key_path(self, message: str) -> str:
        """FILE:LINE of the key one of compose's messages names ('services.web.cpus',
        'services[web].shm_size', 'service "web" refers to undefined network x', "additional properties
        'x'" …), or '' when it names none."""
        prop = re.search(r"additional propert(?:y|ies) '([^']+)'", message)
        distinct = re.search(r"distinct values on '([\w.]+)'", message)
        quoted = re.search(r"(?:service|extend service) \"([^\"]+)\"", message)
        m = re.search(r"services(?:\[([^\]]+)\]|\.([\w-]+))((?:\.[\w-]+)*)", message)
        if m:
            path: list[str] = ["services", m.group(1) or m.group(2), *[p for p in m.group(3).split(".") if p]]
        elif quoted:
            path = ["services", quoted.group(1)]
            for word, key in (
                ("network", "networks"),
                ("volume", "volumes"),
                ("depends on", "depends_on"),
                ("extend", "extends"),
            ):
                if (
                    f"undefined {word}" in message
                    or (word == "depends on" and word in message)
                    or (word == "extend" and message.startswith("cannot extend"))
                ):
                    path.append(key)
                    break
        elif prop and "services additional" in message:
            return self.line(("services", prop.group(1)))
        elif prop:
            return self.line((prop.group(1),))
        else:
            return ""
        if prop and m:
            path.append(prop.group(1))
        if distinct:
            path.extend(distinct.group(1).split("."))
        return self.line(tuple(path))


# ---------------------------------------------------------------------------------------------------------
# values


def _size(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return parse_size(text)


def _cpus(value: Any) -> int:
    return round(float(value) * 1e9)


def _shown(kind: str, value: Any) -> str:
    from dockerctl.spec.units import format_bytes

    if kind == "size":
        return format_bytes(value) if value >= 0 else "unlimited"
    if kind == "cpus":
        return f"{value / 1e9:g} CPUs"
    if kind == "ulimit":
        return f"soft {value['soft']}, hard {value['hard']}"
    if kind == "rates":
        return ", ".join(f"{p} {r}" for p, r in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _value(key: ComposeKey, raw: Any) -> Any:
    if key.kind == "size":
        return _size(raw)
    if key.kind == "cpus":
        return _cpus(raw)
    if key.kind == "int":
        return int(raw)
    if key.kind == "bool":
        if isinstance(raw, str):
            return raw.lower() in GO_TRUE
        return bool(raw)
    if key.kind == "rates":
        out = []
        for entry in raw or []:
            path = entry.get("Path", entry.get("path"))
            rate = entry.get("Rate", entry.get("rate"))
            out.append((str(path), _size(rate) if key.host_config.endswith("Bps") else int(rate)))
        return tuple(out)
    return str(raw)


_EXPECTED = {
    "size": "a size: expected e.g. 64m, 1g or 512k",
    "cpus": "a number of CPUs: expected e.g. 0.5",
    "int": "a whole number: expected e.g. 100",
    "bool": "true or false",
    "str": "text",
    "rates": "a list of `{path: /dev/vda, rate: 1mb}` entries (expected)",
    "ulimit": "a number or `{soft: N, hard: N}` (expected)",
}


def _dig(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    cur: Any = data
    for part in path:
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _ulimit(raw: Any) -> dict[str, int]:
    if isinstance(raw, Mapping):
        return {"soft": int(raw["soft"]), "hard": int(raw["hard"])}
    return {"soft": int(raw), "hard": int(raw)}


def cannot_hold(key: ComposeKey, value: Any) -> str:
    """Why a value compose reads cannot hold in any kernel ('' when it can): compose passes it on as it
    read it, and the engine refuses to create the container (or would enforce nothing)."""
    if key.kind == "size" and isinstance(value, int) and value < 0:
        if value == INT64_MIN:
            return (
                f"{key.name}: the value is past the engine's int64 (at most {INT64_MAX} bytes); compose reads "
                f"it as {INT64_MIN}, which no kernel can hold: the engine refuses to create the container"
            )
        if not (value == -1 and key.host_config == "MemorySwap"):
            return (
                f"{key.name}: a negative size ({value}) cannot hold: the engine refuses to create the "
                "container (a memory limit must be at least 6MiB, or 0 for none)"
            )
    if key.kind == "cpus" and isinstance(value, int) and value < 0:
        return (
            f"{key.name}: a negative number of CPUs ({value / 1e9:g}) cannot hold: the engine refuses "
            "NanoCpus below 0 and creates no container"
        )
    if key.kind == "int" and isinstance(value, int) and value == INT64_MIN:
        return (
            f"{key.name}: the value is past int64 (at most {INT64_MAX}); compose reads it as {INT64_MIN}, "
            "which no kernel can hold"
        )
    return ""


def service_asks(name: str, svc: Mapping[str, Any], where: Callable[[Path_], str]) -> list[Ask]:
    """Every resource key the service's normalized model sets, in the engine's terms."""
    asks: list[Ask] = []
    for key in KEYS:
        raw = _dig(svc, key.path)
        if raw is None:
            continue
        at = where(("services", name, *key.path))
        if key.kind == "ulimit":
            if not isinstance(raw, Mapping):
                raise InvalidInput(
                    "ulimits: expected a mapping such as `nofile: {soft: 1024, hard: 2048}`", where=at
                )
            for limit, value in sorted(raw.items()):
                loc = where(("services", name, *key.path, limit))
                try:
                    v = _ulimit(value)
                except (ValueError, TypeError, KeyError):
                    raise InvalidInput(
                        f"ulimits.{limit}: {value!r} is not {_EXPECTED['ulimit']}", where=loc
                    ) from None
                asks.append(Ask(f"ulimits.{limit}", key, v, _shown("ulimit", v), loc, "Ulimits"))
            continue
        try:
            value = _value(key, raw)
        except (ValueError, TypeError, KeyError, AttributeError, InvalidInput):
            raise InvalidInput(f"{key.name}: {raw!r} is not {_EXPECTED[key.kind]}", where=at) from None
        if key.path == ("mem_swappiness",) and value == 0:
            # compose's create.go passes swappiness only when it is not 0
            key = ComposeKey(
                key.path, "", key.kind, dropped_by_compose="compose passes mem_swappiness only when ≠ 0"
            )
        if key.path[-1] == "pids" and value == 0:
            continue  # compose passes deploy pids only when > 0
        asks.append(
            Ask(key.name, key, value, _shown(key.kind, value), at, key.host_config, cannot_hold(key, value))
        )
    for path, hc in UNCHECKED.items():
        raw = _dig(svc, path)
        if raw not in (None, [], {}, 0):
            at = where(("services", name, *path))
            asks.append(Ask(".".join(path), None, raw, str(raw), at, hc))
    return asks


# ---------------------------------------------------------------------------------------------------------
# the project


def _networks_of(svc: Mapping[str, Any]) -> list[ServiceNetwork]:
    raw = svc.get("networks")
    if raw is None:
        return [] if svc.get("network_mode") else [ServiceNetwork("default", ())]
    if isinstance(raw, list):
        return [ServiceNetwork(str(n), ()) for n in raw]
    out = []
    for name, opts in raw.items():
        opts = opts or {}
        out.append(ServiceNetwork(str(name), tuple(opts.get("aliases") or ()), opts.get("ipv4_address")))
    return out


SERVICE_REFERENCES = ("network_mode", "ipc", "pid")  # `service:NAME`, which compose resolves to a container


def service_references(svc: Mapping[str, Any]) -> dict[str, str]:
    """key → the service a `service:NAME` value refers to (compose makes it `container:ID` at create time,
    and stamps the config hash of the resolved service)."""
    out = {}
    for key in SERVICE_REFERENCES:
        value = svc.get(key)
        if isinstance(value, str) and value.startswith("service:"):
            out[key] = value.split(":", 1)[1]
    return out


def _replicas(svc: Mapping[str, Any], where: Callable[[Path_], str], name: str) -> int:
    deploy = svc.get("deploy") or {}
    for path, raw in ((("deploy", "replicas"), deploy.get("replicas")), (("scale",), svc.get("scale"))):
        if raw is None:
            continue
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"{'.'.join(path)}: {raw!r} is not {_EXPECTED['int']}", where=where(("services", name, *path))
            ) from None
    return 1


def project_from_model(
    model: Mapping[str, Any], files: tuple[str, ...], reader: str, locator: Locator
) -> ComposeProject:
    """The normalized model (compose's `config --format json` shape) → the project as asked."""
    name = str(model.get("name") or "")
    if not name:
        raise InvalidInput("the compose model has no project name", where=files[0] if files else None)
    if not model.get("services"):
        raise InvalidInput(
            "the file has no services: a compose file needs a `services:` mapping",
            where=files[0] if files else None,
        )
    project = ComposeProject(name, files, reader, model=dict(model))
    for key, net in (model.get("networks") or {}).items():
        net = net or {}
        ipam = net.get("ipam") or {}
        subnets = tuple(str(c["subnet"]) for c in ipam.get("config") or [] if c.get("subnet"))
        project.networks[key] = ComposeNetwork(
            key,
            str(net.get("name") or f"{name}_{key}"),
            net.get("driver"),
            subnets,
            bool(net.get("external")),
            locator.line(("networks", key)),
        )
    for key, vol in (model.get("volumes") or {}).items():
        project.volumes[key] = str((vol or {}).get("name") or f"{name}_{key}")
    for sname, svc in (model.get("services") or {}).items():
        service = ComposeService(sname, locator.line(("services", sname)))
        service.asks = service_asks(sname, svc, locator.line)
        service.network_mode = svc.get("network_mode")
        service.networks = _networks_of(svc)
        if any(n.name == "default" for n in service.networks) and "default" not in project.networks:
            project.networks["default"] = ComposeNetwork(
                "default", f"{name}_default", None, (), False, service.where
            )
        for i, m in enumerate(svc.get("volumes") or []):
            service.mounts.append(
                ServiceMount(
                    str(m.get("type", "volume")),
                    str(m.get("source") or ""),
                    str(m["target"]),
                    bool(m.get("read_only")),
                    locator.line(("services", sname, "volumes", i)),
                )
            )
        for i, p in enumerate(svc.get("ports") or []):
            published = p.get("published")
            if not str(p.get("target", "")).isdigit():
                raise InvalidInput(
                    f"ports: {p.get('target')!r} is not a container port: expected "
                    "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. 127.0.0.1:8080:80",
                    where=locator.line(("services", sname, "ports", i)),
                )
            service.ports.append(
                ServicePort(
                    int(p["target"]),
                    int(published) if published not in (None, "") and str(published).isdigit() else None,
                    str(p.get("host_ip") or ""),
                    str(p.get("protocol") or "tcp"),
                    locator.line(("services", sname, "ports", i)),
                )
            )
        service.replicas = _replicas(svc, locator.line, sname)
        project.services[sname] = service
    return project


# ---------------------------------------------------------------------------------------------------------
# the own reader's subset (no Docker Compose v2 on this machine, or --own-reader): compose's YAML rules

SUBSET = (
    "one or more files merged key by key (later files win), ${VAR}, ${VAR:-default}, ${VAR-default} and $$ "
    "from the environment and the project's .env, short volume and port syntax; not extends, include, "
    "profiles or env_file"
)
# the compose specification's keys (compose-spec schema), for the own reader's "unknown key" error
TOP_KEYS = frozenset(
    {"version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"}
)
SERVICE_KEYS = frozenset(
    [
        "annotations",
        "attach",
        "build",
        "blkio_config",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_shares",
        "cpu_quota",
        "cpu_period",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "labels",
        "label_file",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    ]
)


def _check_keys(
    keys: Any, known: frozenset[str], what: str, lines: dict[Path_, int], prefix: Path_, path: Path
) -> None:
    import difflib

    for key in keys:
        if key in known or str(key).startswith("x-"):
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        raise InvalidInput(
            f"{key!r} is not a {what} key of the compose specification"
            + (f"; did you mean {close[0]!r}?" if close else ""),
            where=f"{path}:{lines.get((*prefix, key), 1)}",
        )


def _check_shapes(name: str, svc: Mapping[str, Any], lines: dict[Path_, int], path: Path) -> None:
    """The shapes compose's schema insists on, for the keys dockerctl reads."""

    def at(*key: str | int) -> str:
        return f"{path}:{lines.get(('services', name, *key), lines.get(('services', name), 1))}"

    if not re.fullmatch(r"[a-zA-Z0-9._-]+", name):
        raise InvalidInput(
            f"service name {name!r} is not allowed: use letters, digits, '.', '_' and '-'", where=at()
        )
    if "networks" in svc and not isinstance(svc["networks"], list | dict | None):
        raise InvalidInput(
            "networks must be a list of names or a mapping (e.g. `networks: [front]`)", where=at("networks")
        )
    for key in ("volumes", "ports"):
        value = svc.get(key)
        if value is not None and not isinstance(value, list):
            raise InvalidInput(f"{key} must be a list (e.g. `{key}: [...]`)", where=at(key))
        for i, entry in enumerate(value or []):
            if key == "volumes" and not isinstance(entry, str | dict):
                raise InvalidInput(
                    "a volume must be `SOURCE:TARGET[:ro]` or a mapping with type, source and target",
                    where=at(key, i),
                )
            if key == "ports" and not isinstance(entry, str | int | dict):
                raise InvalidInput(
                    "a port must be `[HOST_IP:][HOST_PORT:]CONTAINER_PORT` (expected)", where=at(key, i)
                )
    if "image" in svc and not isinstance(svc["image"], str):
        raise InvalidInput(f"services.{name}.image must be a string (an image name)", where=at("image"))
    for key in ("environment", "labels"):
        entries = svc.get(key)
        for k, entry in enumerate(entries) if isinstance(entries, list) else ():
            if not isinstance(entry, str):
                raise InvalidInput(
                    f"services.{name}.{key}[{k}]: {entry!r} is not text: write KEY=VALUE "
                    f"(compose: unexpected type {_go_type(entry)})",
                    where=at(key, k),
                )
        for k, entry in entries.items() if isinstance(entries, dict) else ():
            if isinstance(entry, list | dict):
                raise InvalidInput(
                    f"services.{name}.{key}.{k} must be a boolean, null, number or string", where=at(key, k)
                )
    value = svc.get("oom_kill_disable")
    if "oom_kill_disable" in svc and value is None:
        raise InvalidInput(
            f"services.{name}.oom_kill_disable must be a boolean or string", where=at("oom_kill_disable")
        )
    if value is not None and not isinstance(value, bool) and str(value).lower() not in (*GO_TRUE, *GO_FALSE):
        raise InvalidInput(
            f"oom_kill_disable: {value!r} must be true or false (or yes/no, on/off, y/n as text)",
            where=at("oom_kill_disable"),
        )


# compose-go's toBoolean: the text it reads as a boolean where its schema takes "boolean or string"
GO_TRUE, GO_FALSE = ("y", "yes", "true", "on"), ("n", "no", "false", "off")


def _go_type(value: Any) -> str:
    """A value's type in compose's words (Go's)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "uint64" if value > INT64_MAX else "int"
    return "float64" if isinstance(value, float) else type(value).__name__


def _times(value: Any, path: Path_, lines: dict[Path_, int], where: Path) -> None:
    """compose's YAML reads a plain `2001-12-14` (or `2001-12-14T21:59:43Z`) as a time, which its schema
    refuses anywhere but in an `x-` extension field: refused here at its line, with the way to keep it."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not str(k).startswith("x-"):
                _times(v, (*path, k), lines, where)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _times(v, (*path, i), lines, where)
    elif isinstance(value, GoTime):
        raise InvalidInput(
            f"{'.'.join(map(str, path))}: {value} is read by compose as a date and time, which compose "
            "does not take here (compose: invalid jsonType time.Time)",
            where=f"{where}:{line_of(lines, path) or 1}",
            hint=f"quote it to keep it as text: '{value}'",
        )


_VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def _interpolate(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, env, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env, where) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        var = m.group(1) or m.group(4)
        op, default = m.group(2), m.group(3)
        got = env.get(var)
        if (op == ":?" and not got) or (op == "?" and got is None):
            raise InvalidInput(
                f"required variable {var} is missing a value: {default or 'it must be set'}",
                where=where,
                hint="set it in the environment or in the project's .env file",
            )
        if op == ":-" and not got:
            return default or ""
        if op == "-" and got is None:
            return default or ""
        return got or ""

    return _VAR.sub(sub, value)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def _dotenv(directory: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    path = directory / ".env"
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip().strip("\"'")
    return out


def _short_volume(text: str, project_dir: Path) -> dict[str, Any]:
    parts = text.split(":")
    if len(parts) == 1:
        return {"type": "volume", "source": "", "target": parts[0]}
    source, target = parts[0], parts[1]
    ro = len(parts) > 2 and "ro" in parts[2].split(",")
    if source.startswith((".", "/", "~")):
        path = Path(os.path.expanduser(source))
        return {
            "type": "bind",
            "source": str((project_dir / path).resolve() if not path.is_absolute() else path),
            "target": target,
            "read_only": ro,
        }
    return {"type": "volume", "source": source, "target": target, "read_only": ro}


def _port_range(text: str) -> tuple[int, int] | None:
    """docker's nat.ParsePortRange: `80` or `8080-8081`, each 0-65535 (None: not a range)."""
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not m:
        return None
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    return (lo, hi) if lo <= hi <= 65535 else None


def _port_spec(value: Any, at: Locator, service: str, i: int) -> list[dict[str, Any]]:
    """One `ports:` entry as compose's model has it (docker's nat.ParsePortSpec for the short form):
    a container range gives one entry per port; a host range on one container port stays a range."""
    where = at.line(("services", service, "ports", i))
    if isinstance(value, dict):
        return [value]
    text = str(value)
    proto = "tcp"
    if "/" in text:
        text, proto = text.rsplit("/", 1)
    ip = ""
    if text.startswith("["):  # [IPv6]:HOST:CONTAINER
        close = text.find("]")
        ip, text = text[1:close], text[close + 2 :] if close >= 0 else text
        parts = text.split(":")
        host, container = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[-1])
    else:
        parts = text.split(":")
        if len(parts) == 1:
            host, container = "", parts[0]
        elif len(parts) == 2:
            host, container = parts
        else:
            ip, host, container = ":".join(parts[:-2]), parts[-2], parts[-1]
    crange = _port_range(container)
    if crange is None:
        raise InvalidInput(
            f"ports: {container!r} is not a container port (compose: invalid containerPort: {container}): "
            "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. 127.0.0.1:8080:80",
            where=where,
        )
    hrange = _port_range(host) if host else None
    if host and hrange is None:
        raise InvalidInput(
            f"ports: {host!r} is not a host port (compose: invalid hostPort: {host}): expected 1-65535, "
            "e.g. 127.0.0.1:8080:80",
            where=where,
        )
    if crange[0] == 0:
        raise InvalidInput(
            f"ports: service ports services.{service}.ports.[{i}] is missing a target port", where=where
        )
    count = crange[1] - crange[0] + 1
    if hrange and count > 1 and hrange[1] - hrange[0] + 1 != count:
        raise InvalidInput(
            f"ports: invalid ranges specified for container and host Ports: {container} and {host}",
            where=where,
        )
    out = []
    for n in range(count):
        entry: dict[str, Any] = {"target": crange[0] + n, "protocol": proto}
        if hrange:
            entry["published"] = str(hrange[0] + n) if count > 1 else host
        if ip:
            entry["host_ip"] = ip
        out.append(entry)
    return out


_DEFINE = {
    "networks": "define it under the top-level `networks:`",
    "volumes": "define it under the top-level `volumes:`",
    "depends_on": "name a service this file defines",
}


def _undefined(at: Locator, service: str, what: str, key: str, *path: int) -> InvalidInput:
    """A service names a network, volume or service the file does not define (at its `key`)."""
    return InvalidInput(
        f"service {service!r} {what}: {_DEFINE[key]}", where=at.line(("services", service, key, *path))
    )


def _check_references(model: Mapping[str, Any], at: Locator) -> None:
    """What compose refuses at load and the own reader must refuse too: a service without an image,
    a network, volume or service named but not defined, two different values for one limit."""
    services = model.get("services") or {}
    networks = set(model.get("networks") or {}) | {"default"}
    volumes = set(model.get("volumes") or {})
    for name, svc in services.items():
        if not svc.get("image"):
            raise InvalidInput(
                f"service {name!r} has no image: give `image:` (dockerctl never pulls: an image built on this machine)",
                where=at.line(("services", name)),
            )

        nets = svc.get("networks") or []
        for net in [n for n in (nets if isinstance(nets, list) else list(nets)) if n not in networks]:
            raise _undefined(at, name, f"refers to undefined network {net!r}", "networks")
        for i, v in enumerate(svc.get("volumes") or []):
            named = isinstance(v, str) and ":" in v and not v.startswith((".", "/", "~"))
            if named and v.split(":")[0] not in volumes:
                raise _undefined(at, name, f"refers to undefined volume {v.split(':')[0]!r}", "volumes", i)
            source = v.get("source") if isinstance(v, dict) and v.get("type", "volume") == "volume" else None
            if source and source not in volumes:
                raise _undefined(at, name, f"refers to undefined volume {source!r}", "volumes", i)
        deps = svc.get("depends_on") or []
        for dep in [d for d in (deps if isinstance(deps, list) else list(deps)) if d not in services]:
            raise _undefined(at, name, f"depends on undefined service {dep!r}", "depends_on")
        for section, pairs in (
            ("limits", (("mem_limit", "memory"), ("cpus", "cpus"), ("pids_limit", "pids"))),
            ("reservations", (("mem_reservation", "memory"),)),
        ):
            # compose's rule: once deploy.resources.<section> is written, a plain key set (not 0) must
            # equal its deploy twin, which counts as 0 when the section leaves it out
            given = _dig(svc, ("deploy", "resources", section))
            if not isinstance(given, dict):
                continue
            for key, deploy_key in pairs:
                a, b = svc.get(key), given.get(deploy_key)
                if a is not None and a != (b or 0):
                    raise InvalidInput(
                        f"{key} and deploy.resources.{section}.{deploy_key} give different values "
                        f"({a} and {'nothing' if b is None else b}): give one of the two keys, or the same "
                        f"value in both (compose: can't set distinct values on '{key}' and "
                        f"'deploy.resources.{section}.{deploy_key}')",
                        where=at.line(("services", name, key)),
                    )
        if svc.get("network_mode") and svc.get("networks") is not None:
            raise InvalidInput(
                f"service {name!r} declares mutually exclusive `network_mode` and `networks`: give one",
                where=at.line(("services", name, "network_mode")),
            )
    _check_cycles(services, at)


def _check_cycles(services: Mapping[str, Any], at: Locator) -> None:
    """compose refuses a service that depends on itself, through depends_on or a `service:NAME`."""

    def needs(name: str) -> list[str]:
        svc = services.get(name) or {}
        deps = svc.get("depends_on") or []
        return [*(deps if isinstance(deps, list) else list(deps)), *service_references(svc).values()]

    for start in services:
        stack, seen = [(start, [start])], set()
        while stack:
            name, trail = stack.pop()
            for dep in needs(name):
                if dep == start:
                    raise InvalidInput(
                        f"dependency cycle detected: {' -> '.join([*trail, dep])} "
                        "(depends_on, or network_mode / ipc / pid: service:NAME)",
                        where=at.line(("services", start)),
                    )
                if dep in services and dep not in seen:
                    seen.add(dep)
                    stack.append((dep, [*trail, dep]))


def project_name(
    explicit: str | None, model: Mapping[str, Any], first_file: Path, env: Mapping[str, str]
) -> str:
    """compose's rule: -p, else `name:`, else COMPOSE_PROJECT_NAME, else the first file's directory —
    lower-cased, with only a-z 0-9 _ - kept."""
    if explicit is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", explicit):
        raise InvalidInput(
            f"invalid project name {explicit!r}: it must consist only of lower-case letters, digits, '_' and '-', "
            "and start with a letter or digit",
            where="-p/--project-name",
        )
    raw = explicit or model.get("name") or env.get("COMPOSE_PROJECT_NAME") or first_file.resolve().parent.name
    name = re.sub(r"[^a-z0-9_-]", "", str(raw).lower())
    if not name or not name[0].isalnum():
        raise InvalidInput(
            f"project name {raw!r} is not one compose accepts: lower-case letters, digits, _ and -, "
            "starting with a letter or digit",
            where="-p/--project-name" if explicit else str(first_file),
        )
    return name


def _load(path: Path) -> tuple[Any, dict[Path_, int]]:
    """The file's data and lines; YAML the position-keeping loader cannot build is one InvalidInput at
    its line (never a traceback)."""
    text = read_text(path, what="a compose file")
    try:
        return load_with_lines(text, str(path), schema="compose")
    except InvalidInput:
        raise
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidInput(
            f"dockerctl's own reader cannot read this YAML: {problem}",
            where=f"{path}:{mark.line + 1}" if mark is not None else str(path),
            hint="Docker Compose v2 reads it: run without --own-reader, with compose v2 installed",
        ) from None


def subset_model(files: list[Path], project: str | None, env: Mapping[str, str]) -> dict[str, Any]:
    """Read the files as compose would, for the documented subset (see SUBSET)."""
    merged: dict[str, Any] = {}
    lines_of: dict[str, dict[Path_, int]] = {}
    for path in files:
        data, lines = _load(path)
        lines_of[str(path)] = lines
        if not isinstance(data, dict):
            raise InvalidInput("a compose file is a mapping with a `services:` key", where=f"{path}:1")
        _times(data, (), lines, path)
        _check_keys(data, TOP_KEYS, "top-level", lines, (), path)
        if not isinstance(data.get("services") or {}, dict):
            raise InvalidInput(
                "services must be a mapping of service names to their settings",
                where=f"{path}:{lines.get(('services',), 1)}",
            )
        for sname, svc in (data.get("services") or {}).items():
            if not isinstance(svc, dict):
                raise InvalidInput(
                    f"service {sname!r} must be a mapping",
                    where=f"{path}:{lines.get(('services', sname), 1)}",
                )
            _check_keys(svc, SERVICE_KEYS, "service", lines, ("services", sname), path)
            _check_shapes(sname, svc, lines, path)
        for word in ("include",):
            if word in data:
                raise InvalidInput(
                    f"`{word}` needs Docker Compose v2 to read (dockerctl's own reader does {SUBSET})",
                    where=f"{path}:{lines.get((word,), 1)}",
                )
        for sname, svc in (data.get("services") or {}).items():
            for word in ("extends", "profiles", "env_file"):
                if isinstance(svc, dict) and word in svc:
                    raise InvalidInput(
                        f"`{word}` needs Docker Compose v2 to read (dockerctl's own reader does {SUBSET})",
                        where=f"{path}:{lines.get(('services', sname, word), 1)}",
                    )
        merged = _merge(merged, data)
    project_dir = files[0].resolve().parent
    full_env = {**_dotenv(project_dir), **env}
    model: dict[str, Any] = _interpolate(merged, full_env, str(files[0]))
    at = Locator(lines_of)
    for sname, svc in (model.get("services") or {}).items():
        if isinstance(svc, dict):
            _as_compose(sname, svc, at, set(model["services"]))
    _finite(model, (), at)
    _check_references(model, at)
    if not isinstance(model.get("services"), dict) or not model["services"]:
        raise InvalidInput(
            "the file has no services: a compose file needs a `services:` mapping", where=str(files[0])
        )
    model["name"] = project_name(project, model, files[0], full_env)
    for svc in model["services"].values():
        if not isinstance(svc, dict):
            continue
        svc["volumes"] = [
            _short_volume(v, project_dir) if isinstance(v, str) else v for v in svc.get("volumes") or []
        ]
        svc["ports"] = [q for i, p in enumerate(svc.get("ports") or []) for q in _port_spec(p, at, sname, i)]
        for i, m in enumerate(svc["volumes"]):
            if m.get("type") == "bind" and str(m.get("source") or "").startswith((".", "~")):
                source = Path(os.path.expanduser(str(m["source"])))
                m["source"] = str(source if source.is_absolute() else (project_dir / source).resolve())
            svc["volumes"][i] = m
        # one mount per target, as compose keeps them: the last one written, where the first one was
        svc["volumes"] = list({str(m.get("target")): m for m in svc["volumes"]}.values())
    _prune_unused(model)
    return model


_AS_TEXT = ("environment", "labels", "sysctls")  # mappings compose's model holds as text: `.inf` → "+Inf"


def _finite(value: Any, path: Path_, at: Locator) -> None:
    """compose's JSON model has no infinity or NaN (`.inf`, `.NaN`): compose refuses the file wherever one
    is left in its model, an `x-` extension field included (a size or whole number made of one is
    converted before, see _as_compose; an environment value or a label is text)."""
    if len(path) == 3 and path[0] == "services" and path[2] in _AS_TEXT:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(
            f"{'.'.join(map(str, path))}: {value} is not a finite number (compose: json: unsupported value)",
            where=at.line(path),
            hint="give a finite number, e.g. cpus: 0.5",
        )
    if isinstance(value, dict):
        for k, v in value.items():
            _finite(v, (*path, k), at)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _finite(v, (*path, i), at)


def non_finite(files: list[Path]) -> tuple[str, Path_, float] | None:
    """The first infinity or NaN (`.inf`, `-.Inf`, `.NaN`) compose keeps in its model, for compose's
    bare "json: unsupported value: +Inf": (file, key path, value), or None. A size or whole number made of
    one is converted by compose (to no limit, or int64's minimum), an environment value or label is text:
    neither is kept."""

    def walk(value: Any, path: Path_) -> tuple[Path_, float] | None:
        if len(path) == 3 and path[0] == "services" and path[2] in _AS_TEXT:
            return None
        if len(path) > 2 and path[0] == "services" and tuple(path[2:]) in (*_SIZES, *_INTS):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return path, value
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        )
        for k, v in items:
            found = walk(v, (*path, k))
            if found:
                return found
        return None

    for f in files:
        try:
            data, _ = load_with_lines(f.read_text(), str(f), schema="compose")
        except Exception:  # nosec B112  # a file this reader cannot read holds nothing to name here
            continue
        found = walk(data, ())
        if found:
            return str(f), *found
    return None


def _prune_unused(model: dict[str, Any]) -> None:
    """compose's model keeps only the networks and volumes some service uses."""
    nets: set[str] = set()
    vols: set[str] = set()
    for svc in (model.get("services") or {}).values():
        if not isinstance(svc, dict):
            continue
        raw = svc.get("networks")
        if raw is None:
            if not svc.get("network_mode"):
                nets.add("default")
        else:
            nets.update(str(n) for n in raw)
        vols.update(str(m.get("source")) for m in svc.get("volumes") or [] if m.get("type") == "volume")
    for key, used in (("networks", nets), ("volumes", vols)):
        if isinstance(model.get(key), dict):
            model[key] = {k: v for k, v in model[key].items() if k in used}
            if not model[key]:
                del model[key]


def dropped_sizes(files: tuple[str, ...], at: Locator) -> list[str]:
    """Sizes written as YAML integers past int64 (a 29-digit mem_limit): compose reads them as 0, no limit
    at all, without a word — said here, at their line."""
    out = []
    for f in files:
        try:
            data, _ = load_with_lines(Path(f).read_text(), f, schema="compose")
        except Exception:  # nosec B112  # a file compose read and this reader cannot has no sizes to warn of
            continue
        for name, svc in ((data or {}).get("services") or {}).items() if isinstance(data, dict) else ():
            for path in (*_SIZES, *_STRING_SIZES):
                raw = _dig(svc, path) if isinstance(svc, dict) else None
                if isinstance(raw, int) and not isinstance(raw, bool) and raw > INT64_MAX:
                    out.append(
                        f"{at.line(('services', name, *path))}: {'.'.join(path)}: {raw} bytes is past the "
                        f"engine's int64 (at most {INT64_MAX}); compose reads it as no limit at all, so no "
                        "kernel holds it: give a size such as 64m"
                    )
                elif isinstance(raw, float) and math.isfinite(raw):  # 1e3, 1.5, a 29-digit number
                    past = (
                        f" is past the engine's int64 (at most {INT64_MAX} bytes) and"
                        if raw > INT64_MAX
                        else ""
                    )
                    out.append(
                        f"{at.line(('services', name, *path))}: {'.'.join(path)}: {raw:g}{past} is a YAML "
                        "float, which compose reads as no limit at all for a size, so no kernel holds it: "
                        "give a size such as 64m, or a whole number of bytes"
                    )
    return out


# ---------------------------------------------------------------------------------------------------------
# values as compose reads them (compose-go's schema, its type casts and go-units), for the own reader

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38
_SIZES = (("mem_limit",), ("memswap_limit",), ("mem_reservation",), ("shm_size",))
_STRING_SIZES = (
    ("deploy", "resources", "limits", "memory"),
    ("deploy", "resources", "reservations", "memory"),
)
_INTS = (
    ("cpu_shares",),
    ("cpu_quota",),
    ("cpu_period",),
    ("pids_limit",),
    ("mem_swappiness",),
    ("oom_score_adj",),
    ("deploy", "resources", "limits", "pids"),
)
_FLOATS = (
    ("cpus",),
    ("deploy", "resources", "limits", "cpus"),
    ("deploy", "resources", "reservations", "cpus"),
)


def go_float32(value: float) -> float:
    """A number of CPUs as compose's model holds it: a Go float32, printed as the shortest decimal that
    reads back as the same float32 (0.1 stays 0.1; 18446744073709551615 becomes 18446744000000000000)."""
    f32: float = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        shortest = float(f"{f32:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shortest))[0] == f32:
            return shortest
    return f32


def go_ram_in_bytes(text: str) -> int:
    """go-units' RAMInBytes as compose runs it: a negative size is refused, and a size past int64
    becomes int64's minimum (Go's float→int64 conversion on amd64), which compose then passes on."""
    from dockerctl.spec.units import _ram_in_bytes

    try:
        return _ram_in_bytes(text)
    except ValueError as exc:
        if "too large" in str(exc) and not re.search(r"inf|nan", text, re.I):
            return INT64_MIN
        raise


def _as_compose(name: str, svc: dict[str, Any], at: Locator, services: set[str]) -> None:
    """The resource keys of one (interpolated) service as compose's model has them: the types compose's
    schema takes refused as compose refuses them, sizes in bytes, 0 (compose's "unset") dropped, and a
    `service:NAME` reference to no service refused."""

    def refuse(path: tuple[str, ...], what: str) -> InvalidInput:
        return InvalidInput(
            f"services.{name}.{'.'.join(path)} {what}", where=at.line(("services", name, *path))
        )

    def parent(path: tuple[str, ...]) -> dict[str, Any] | None:
        cur: Any = svc
        for part in path[:-1]:
            cur = cur.get(part) if isinstance(cur, dict) else None
        return cur if isinstance(cur, dict) and path[-1] in cur else None

    for path in (*_SIZES, *_STRING_SIZES, *_INTS, *_FLOATS):
        holder = parent(path)
        if holder is None:
            continue
        raw = holder[path[-1]]
        if path in _STRING_SIZES and not isinstance(raw, str):
            raise refuse(path, "must be a string")
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise refuse(path, "must be a number or string")
        value: int | float
        if path in _SIZES or path in _STRING_SIZES:
            if isinstance(raw, str):
                try:
                    value = go_ram_in_bytes(raw)
                except ValueError:
                    raise refuse(path, f"invalid size: {raw!r}: {_EXPECTED['size']}") from None
            else:  # a YAML number is taken as bytes; one past int64 (or a fraction) reads as unset
                value = raw if isinstance(raw, int) and INT64_MIN <= raw <= INT64_MAX else 0
        elif path in _INTS:
            if path[-1] == "pids" and isinstance(raw, float) and not raw.is_integer():
                raise refuse(path, "must be a integer or string")
            try:
                if isinstance(raw, float) and not math.isfinite(raw):
                    raw = value = INT64_MIN  # Go's float → int64 of ±Inf and NaN (amd64)
                value = int(raw) if not isinstance(raw, str) else int(raw.strip())
            except ValueError:
                raise refuse(path, f"{raw!r} is not {_EXPECTED['int']}") from None
            if isinstance(raw, int) and INT64_MAX < raw < 2**64:
                value = raw - 2**64  # a YAML uint64 past int64: compose's cast wraps it (2**64-1 → -1)
            elif not isinstance(raw, str) and not INT64_MIN <= value <= INT64_MAX:
                value = INT64_MIN  # a YAML number past int64, as Go's float → int64 makes it
            elif not INT64_MIN <= value <= INT64_MAX:
                raise refuse(path, f"{raw!r} is out of range: {_EXPECTED['int']}")
            if path == ("oom_score_adj",) and not -1000 <= value <= 1000:
                raise refuse(path, "must be between -1000 and 1000 (the kernel's oom_score_adj range)")
        else:
            try:
                value = float(raw)
            except ValueError:
                raise refuse(path, f"{raw!r} is not {_EXPECTED['cpus']}") from None
            if value != value or abs(value) > FLOAT32_MAX:
                raise refuse(
                    path, f"{raw!r} is not a finite number of CPUs (compose: json: unsupported value)"
                )
            value = go_float32(value)
        if value == 0:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
    oom = svc.get("oom_kill_disable")
    if isinstance(oom, str) and oom.lower() in (*GO_TRUE, *GO_FALSE):
        oom = svc["oom_kill_disable"] = oom.lower() in GO_TRUE  # compose-go's toBoolean
    if oom is False:
        del svc["oom_kill_disable"]
    if "cpuset" in svc and not isinstance(svc["cpuset"], str):
        raise refuse(("cpuset",), "must be a string")
    blkio = svc.get("blkio_config")
    if isinstance(blkio, dict) and "weight" in blkio:
        weight = blkio["weight"]
        if isinstance(weight, float) and math.isfinite(weight) and weight.is_integer():
            weight = int(weight)  # compose's schema takes a whole float (1e2) as an integer
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise refuse(
                ("blkio_config", "weight"), "must be a whole number from 10 to 1000 (expected type uint16)"
            )
        if weight < 0:
            raise refuse(("blkio_config", "weight"), f"{weight} is negative: a whole number from 10 to 1000")
        blkio["weight"] = weight % 2**16  # compose's decoder wraps it into a uint16 (70000 → 4464)
        if blkio["weight"] == 0:
            del blkio["weight"]
    scale = svc.get("scale")
    if isinstance(scale, int) and not isinstance(scale, bool) and scale < 0:
        raise refuse(("scale",), "must be greater than or equal to 0")
    for key, target in service_references(svc).items():
        if target not in services:
            raise InvalidInput(
                f"service {name!r} {key}: service:{target} names no service of this file "
                f'(compose: service "{name}" depends on undefined service "{target}")',
                where=at.line(("services", name, key)),
                hint="name a service this file defines",
            )
