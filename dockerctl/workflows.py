"""Whole operations that chain the layers: parse → preflight → apply → observe → verify. The CLI only
calls these. Data flows one way, and nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.apply import requests as asked_records
from dockerctl.apply.client import engine_call
from dockerctl.apply.containers import create_and_start, get, update_resources
from dockerctl.apply.labels import MANAGED, requested_of
from dockerctl.errors import Conflict, InvalidInput, NotFound
from dockerctl.observe.cgroup import CgroupReader, page_size
from dockerctl.observe.devices import BlockDevice, DeviceError, online_cpus, resolve_block_device
from dockerctl.observe.limits import read_container_limits
from dockerctl.spec.fields import FIELDS
from dockerctl.spec.models import THROTTLE_KINDS, ContainerSpec, DeviceRate, Limits, cpuset_members
from dockerctl.spec.mounts import ENGINE_SOCKETS, check_host_side
from dockerctl.verify.checks import Check, Verdict
from dockerctl.verify.limits import verify_limits


@dataclass
class LimitsReport:
    container_id: str
    name: str
    image: str
    source: str  # where "asked" came from
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verified: bool = True

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": {"id": self.container_id, "name": self.name, "image": self.image},
            "asked_from": self.source,
            "verified": self.verified,
            "ok": self.ok,
            "warnings": self.warnings,
            "checks": [c.to_dict() for c in self.checks],
        }


# ---- preflight: host facts that make input bad, checked before the engine is touched -----------


def resolve_devices(limits: Limits, sys_root: Path = Path("/sys")) -> dict[str, BlockDevice | str]:
    """Every device path in `limits` → its BlockDevice, or the reason it is not usable."""
    out: dict[str, BlockDevice | str] = {}
    for kind in THROTTLE_KINDS:
        for entry in getattr(limits, kind):
            if entry.path in out:
                continue
            try:
                out[entry.path] = resolve_block_device(entry.path, sys_root)
            except DeviceError as exc:
                out[entry.path] = str(exc)
    return out


def partition_warning(dev: BlockDevice) -> str:
    return (
        f"{dev.path} ({dev.key}) is a partition; the kernel throttles whole disks only: "
        f"use /dev/{dev.disk} (the throttle then covers the whole disk)"
    )


def preflight(limits: Limits, sys_root: Path = Path("/sys")) -> dict[str, BlockDevice | str]:
    """Refuse what the host cannot take, naming the flag: devices, CPU count, CPU list."""
    devices = resolve_devices(limits, sys_root)
    for kind in THROTTLE_KINDS:
        for entry in getattr(limits, kind):
            dev = devices[entry.path]
            if isinstance(dev, str):
                raise InvalidInput(f"{dev}; give a block device such as /dev/sda", field=kind)
            if dev.partition:
                raise InvalidInput(partition_warning(dev), field=kind)
    cpus = online_cpus(sys_root)
    if limits.cpus is not None and limits.cpus > len(cpus):
        raise InvalidInput(
            f"--cpus {limits.cpus:g} is more than the {len(cpus)} CPUs this host has; use 0.01–{len(cpus)}",
            field="cpus",
        )
    if limits.cpuset_cpus is not None:
        missing = cpuset_members(limits.cpuset_cpus) - cpus
        if missing:
            online = ",".join(str(c) for c in sorted(cpus))
            raise InvalidInput(
                f"CPU(s) {','.join(str(c) for c in sorted(missing))} do not exist here (online: {online})",
                field="cpuset_cpus",
            )
    return devices


# ---- what was asked ------------------------------------------------------------------------------


def limits_from_host_config(hc: dict[str, Any]) -> Limits:
    """For containers dockerctl did not make: take the engine's HostConfig as what was asked."""

    def devs(key: str) -> tuple[DeviceRate, ...]:
        return tuple(DeviceRate(path=d["Path"], rate=d["Rate"]) for d in hc.get(key) or [])

    nano = hc.get("NanoCpus") or 0
    if not nano and hc.get("CpuQuota") and hc.get("CpuQuota", 0) > 0:
        nano = hc["CpuQuota"] * 10**9 // (hc.get("CpuPeriod") or 100000)
    values: dict[str, Any] = {
        "memory": hc.get("Memory") or None,
        "memory_swap": (hc.get("MemorySwap") or None) if hc.get("Memory") else None,
        "cpu_shares": hc.get("CpuShares") or None,
        "cpus": nano / 1e9 if nano else None,
        "cpuset_cpus": hc.get("CpusetCpus") or None,
        "pids_limit": hc.get("PidsLimit") or None,
        "blkio_weight": hc.get("BlkioWeight") or None,
    }
    values.update({kind: devs(FIELDS[kind].host_config) for kind in THROTTLE_KINDS})
    return Limits.model_construct(**values)


def asked_of(container: Container) -> tuple[Limits, str]:
    """What the user asked for: dockerctl's label plus later updates; else the engine's HostConfig."""
    labels = container.labels or {}
    if labels.get(MANAGED) == "true":
        asked = requested_of(labels)
        update = asked_records.load(container.id)
        if update is not None:
            return Limits(**update), "dockerctl update record"
        return Limits(**asked), "dockerctl label io.dockerctl.requested"
    return limits_from_host_config(container.attrs.get("HostConfig") or {}), "engine HostConfig"


# ---- observe + verify ----------------------------------------------------------------------------


def check_limits(
    container: Container, asked: Limits, reader: CgroupReader | None = None, sys_root: Path = Path("/sys")
) -> tuple[list[Check], list[str]]:
    reader = reader or CgroupReader()
    pid = int((container.attrs.get("State") or {}).get("Pid") or 0)
    kernel = read_container_limits(reader, pid, container.id)
    devices = resolve_devices(asked, sys_root)
    warnings = [partition_warning(d) for d in devices.values() if isinstance(d, BlockDevice) and d.partition]
    checks = verify_limits(asked, kernel, devices, container.attrs.get("HostConfig"), page_size())
    return checks, warnings


def check_given_limits(container: Container, given: dict[str, Any]) -> list[Check]:
    """Only the limits in `given` (written as people write them), judged against the container's own
    request with those values put in — so memory_swap alone means memory+swap for its memory."""
    from dockerctl.spec.inputs import limit_fields
    from dockerctl.verify.limits import select

    own, _ = asked_of(container)
    checks, _ = check_limits(container, Limits(**{**own.asked(), **limit_fields(given)}))
    return select(checks, given)


def limits_report(client: docker.DockerClient, ref: str) -> LimitsReport:
    container = get(client, ref)
    if (container.attrs.get("State") or {}).get("Status") != "running":
        raise Conflict(
            f"container {container.name} is not running: its cgroups exist only while it runs",
            hint=f"docker start {container.name}",
        )
    asked, source = asked_of(container)
    checks, warnings = check_limits(container, asked)
    image = (container.attrs.get("Config") or {}).get("Image", "")
    return LimitsReport(container.id, container.name, image, source, checks, warnings)


def engine_sockets(client: docker.DockerClient) -> tuple[str, ...]:
    """The usual engine sockets plus the one this client really talks to (-H / DOCKER_HOST)."""
    from dockerctl.apply.client import engine_url

    url = str(getattr(client, "dockerctl_url", engine_url()))
    return (*ENGINE_SOCKETS, *([url[len("unix://") :]] if url.startswith("unix://") else []))


def preflight_mounts(client: docker.DockerClient, spec: ContainerSpec, *, allow_engine_socket: bool) -> None:
    """Mount input the host or engine makes bad — found before anything is created."""
    check_host_side(
        list(spec.mounts), allow_engine_socket=allow_engine_socket, sockets=engine_sockets(client)
    )
    for ref in spec.volumes_from:
        name, _, mode = ref.partition(":")
        if mode not in ("", "ro", "rw"):
            raise InvalidInput(f"invalid mode {mode!r} in {ref!r}: use ro or rw", field="volumes_from")
        try:
            get(client, name)
        except NotFound:
            raise NotFound(f"container {name!r} does not exist", where="--volumes-from") from None


def preflight_network_options(client: docker.DockerClient, spec: ContainerSpec) -> None:
    """The network, a joined container and a static IP must be right before anything is created."""
    from dockerctl.apply.networks import check_static_ip, get_network

    mode = spec.network or ""
    if mode.startswith("container:"):
        try:
            joined = get(client, mode.split(":", 1)[1])
        except NotFound:
            raise NotFound(f"container {mode.split(':', 1)[1]!r} does not exist", where="--network") from None
        if joined.status != "running":
            raise Conflict(
                f"cannot join the network of {joined.name}: it is not running (seed C3)",
                where="--network",
                hint=f"docker start {joined.name}",
            )
    elif mode and mode not in ("host", "none", "bridge"):
        try:
            get_network(client, mode)
        except NotFound:
            raise NotFound(f"network {mode!r} does not exist", where="--network") from None
    check_static_ip(client, spec.network, spec.ip)


def run_container(
    client: docker.DockerClient, spec: ContainerSpec, *, verify: bool, allow_engine_socket: bool = False
) -> LimitsReport:
    preflight(spec.limits)
    preflight_mounts(client, spec, allow_engine_socket=allow_engine_socket)
    preflight_network_options(client, spec)
    container = create_and_start(client, spec)
    report = LimitsReport(container.id, container.name, spec.image, "this command", verified=verify)
    if verify:
        report.checks, report.warnings = check_limits(container, spec.limits)
    return report


def update_limits(
    client: docker.DockerClient, ref: str, changes: dict[str, Any], *, verify: bool
) -> LimitsReport:
    """`docker update` for every limit, with docker's semantics, then (optionally) the kernel check.

    As with `docker update`, changing -m alone keeps the current memory+swap limit.
    """
    if not changes:
        raise InvalidInput("give at least one limit to change, e.g. -m 200M or --cpus 0.5")
    for kind in THROTTLE_KINDS:
        if kind in changes:
            # measured on Docker 20.10: the update endpoint answers 200 and changes nothing
            raise InvalidInput(
                "the engine cannot change device throttles of an existing container (it accepts them on "
                "update and ignores them); recreate it with `dockerctl run` and the new throttle",
                field=kind,
            )
    container = get(client, ref)
    if (container.attrs.get("State") or {}).get("Status") != "running":
        raise Conflict(f"container {container.name} is not running", hint=f"docker start {container.name}")
    current, _ = asked_of(container)
    merged = current.asked() | changes
    if "memory" in changes and "memory_swap" not in changes:
        kept = (container.attrs.get("HostConfig") or {}).get("MemorySwap") or 0
        merged["memory_swap"] = kept if kept else None
        if kept and changes["memory"] and kept != -1 and kept < changes["memory"]:
            raise InvalidInput(
                f"the new memory limit is above the current memory+swap limit {kept}; "
                "give --memory-swap as well",
                field="memory",
            )
    target = Limits(**{k: v for k, v in merged.items() if v is not None})
    preflight(target)
    body = target.engine_resources()
    changed_keys = {FIELDS[k].host_config for k in changes} | (
        {"MemorySwap"} if "memory" in changes and "MemorySwap" in body else set()
    )
    body = {k: v for k, v in body.items() if k in changed_keys}
    for k in changes:
        if changes[k] in (None, 0) and FIELDS[k].host_config not in body:
            body[FIELDS[k].host_config] = 0
    update_resources(client, container, body)
    asked_records.save(container.id, target.asked())
    engine_call(container.reload, what=f"inspect container {container.name}")
    report = LimitsReport(container.id, container.name, "", "this command", verified=verify)
    if verify:
        report.checks, report.warnings = check_limits(container, target)
    return report


# ---- proofs by behaviour ---------------------------------------------------------------------------


@dataclass
class ProofReport:
    kind: str
    subject: str  # what the limits came from
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "proof": self.kind,
            "limits_from": self.subject,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


def _weight_twin(lab: Any, limits: Limits) -> Check:
    """Seed R5: does the kernel hold a block-IO weight at all? A twin with the weight tells."""
    twin = lab.start(Limits(blkio_weight=limits.blkio_weight), ["sleep", "60"])
    checks, _ = check_limits(twin, Limits(blkio_weight=limits.blkio_weight))
    weight = next(c for c in checks if c.subject == "blkio weight")
    if not weight.ok:
        return replace(
            weight,
            subject=f"blkio weight {limits.blkio_weight} (behaviour)",
            note=f"not proved: {weight.note or weight.verdict}",
        )
    return Check(
        f"blkio weight {limits.blkio_weight} (behaviour)",
        "R5",
        str(limits.blkio_weight),
        weight.observed,
        Verdict.UNKNOWN,
        weight.evidence,
        "the kernel holds the weight; a behaviour proof needs competing direct writers on a disk "
        "whose scheduler is bfq and is not made here",
    )


def prove(
    client: docker.DockerClient,
    kind: str,
    *,
    container: str | None = None,
    limits: Limits | None = None,
    shares: tuple[int, int] = (1024, 512),
    seconds: float = 4.0,
    tolerance: float | None = None,
) -> ProofReport:
    """Run one proof on throwaway twins with the limits of `container`, or with `limits`."""
    from dockerctl.lab.images import BASE_IMAGE
    from dockerctl.prove.cpu import prove_cpu
    from dockerctl.prove.io import prove_io
    from dockerctl.prove.memory import prove_memory
    from dockerctl.prove.runner import proof_lab

    subject = "flags"
    if container is not None:
        target = get(client, container)
        limits, source = asked_of(target)
        subject = f"container {target.name} ({source}); run on throwaway twins"
        if kind == "cpu":
            shares = (limits.cpu_shares or 1024, 1024)
    limits = limits or Limits()
    if container is None and kind == "memory" and not limits.memory:
        limits = Limits(memory=32 * 1024 * 1024, memory_swap=32 * 1024 * 1024)
    if container is None and kind == "io" and not any(getattr(limits, k) for k in THROTTLE_KINDS):
        from dockerctl.observe.devices import device_of_directory

        root = engine_call(client.info, what="read the engine info").get("DockerRootDir", "/var/lib/docker")
        disk = device_of_directory(root)
        if disk is None:
            raise InvalidInput(
                f"the engine's data root {root} is not on a block device: give --device-write-bps"
            )
        limits = limits.model_copy(
            update={"device_write_bps": (DeviceRate(path=disk, rate=10 * 1024 * 1024),)}
        )
    preflight(limits)
    from dockerctl.apply.containers import ensure_image_local

    ensure_image_local(client, BASE_IMAGE)
    report = ProofReport(kind, subject)
    with proof_lab(client) as lab:
        if kind == "memory":
            report.checks = prove_memory(lab, limits)
        elif kind == "cpu":
            report.checks = prove_cpu(
                lab, shares[0], shares[1], seconds=seconds, tolerance=0.25 if tolerance is None else tolerance
            )
        elif kind == "io":
            report.checks = prove_io(lab, limits, tolerance=0.10 if tolerance is None else tolerance)
            if limits.blkio_weight:
                report.checks.append(_weight_twin(lab, limits))
        else:
            raise InvalidInput(f"unknown proof {kind!r}; choose memory, cpu or io", where="KIND")
    return report


# ---- storage ---------------------------------------------------------------------------------------


@dataclass
class MountsReport:
    container_id: str
    name: str
    storage_driver: str
    rows: list[Any] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": {"id": self.container_id, "name": self.name},
            "storage_driver": self.storage_driver,
            "mounts": [r.to_dict() for r in self.rows],
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


def _write_probe(container: Container, row: Any) -> Check:
    """Seed S4/S7: a read-only mount refuses a write; a read-write one takes it (and the probe is removed)."""
    probe = f"{row.mount_point.rstrip('/')}/.dockerctl-write-probe"
    result = engine_call(
        container.exec_run,
        ["sh", "-c", f"echo probe > {probe} && rm -f {probe}"],
        what=f"write a probe file in {container.name}",
    )
    wrote = result.exit_code == 0
    desired = "write refused" if row.read_only else "write succeeds"
    observed = (
        "write succeeded" if wrote else "write refused: " + result.output.decode(errors="replace").strip()
    )
    ok = wrote != row.read_only
    return Check(
        f"{'ro' if row.read_only else 'rw'} {row.mount_point}",
        "S4,S7",
        desired,
        observed,
        Verdict.ENFORCED if ok else Verdict.MISMATCH,
        f"sh -c 'echo probe > {probe}' in the container",
    )


def mounts_report(
    client: docker.DockerClient, ref: str, *, include_pseudo: bool = False, prove: bool = False
) -> MountsReport:
    from dockerctl.observe.container_mounts import container_mounts

    container = get(client, ref)
    pid = int((container.attrs.get("State") or {}).get("Pid") or 0)
    if pid <= 0:
        raise Conflict(
            f"container {container.name} is not running: its mount table exists only while it runs",
            hint=f"docker start {container.name}",
        )
    text = Path(f"/proc/{pid}/mountinfo").read_text()
    rows = container_mounts(text, container.attrs, include_pseudo=include_pseudo)
    report = MountsReport(container.id, container.name, str(container.attrs.get("Driver", "")), rows)
    if prove:
        report.checks = [_write_probe(container, r) for r in rows if r.kind in ("volume", "bind")]
    return report


def create_volume_container(
    client: docker.DockerClient,
    name: str,
    mounts: list[Any],
    *,
    data_dir: Path | None = None,
    data_path: str = "/data",
    lab: str | None = None,
) -> Container:
    """Seed S8: a volume container — created, never started — whose volumes others take with
    --volumes-from. With `data_dir`, a data-packed one: an image built locally from the base image with
    the data under a VOLUME; its volume (labelled) starts as a copy of that data."""
    from docker.types import Mount

    from dockerctl.apply.containers import create_and_start
    from dockerctl.apply.labels import owned
    from dockerctl.lab.images import BASE_IMAGE, build_image, data_image_context
    from dockerctl.spec.mounts import MountSpec, _check_target

    image = BASE_IMAGE
    extra: dict[str, Any] = {}
    if data_dir is not None:
        if not data_dir.is_dir():
            raise InvalidInput(f"{data_dir} is not a directory", where="--from-dir")
        _check_target(data_path, "mounts")
        image = f"dockerctl/data-{name}:latest"
        build_image(
            client, image, data_image_context(data_dir, data_path), "data", what=f"build data image {image}"
        )
        # the image's VOLUME, satisfied by an anonymous volume that carries dockerctl's labels
        extra["mounts"] = [Mount(data_path, None, type="volume", labels=owned(lab))]
    spec = ContainerSpec(
        image=image,
        command=["true"],
        name=name,
        lab=lab,
        mounts=tuple(m for m in mounts if isinstance(m, MountSpec)),
    )
    preflight_mounts(client, spec, allow_engine_socket=False)
    if not spec.mounts and data_dir is None:
        raise InvalidInput("a volume container needs at least one -v (or --from-dir)", where="-v")
    return create_and_start(client, spec, extra, start=False)


@dataclass
class CompareReport:
    rows: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows]}


def compare_storage(client: docker.DockerClient) -> CompareReport:
    """Seed S3/S7 from experiments, in throwaway labelled containers and volumes removed afterwards."""
    from dockerctl.apply.containers import ensure_image_local
    from dockerctl.lab.images import BASE_IMAGE
    from dockerctl.prove.runner import proof_lab
    from dockerctl.prove.storage import compare

    ensure_image_local(client, BASE_IMAGE)
    with proof_lab(client) as lab:
        return CompareReport(compare(lab))


# ---- namespaces and networking ---------------------------------------------------------------------


@dataclass
class NsReport:
    subjects: list[str]  # "host", then container names
    ids: dict[str, dict[str, str]]  # subject → kind → 'net:[4026…]'
    pairs: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "subjects": self.subjects,
            "namespaces": self.ids,
            "pairs": self.pairs,
            "explanations": self.explanations,
        }


def _explain(c: Container, engine_info: dict[str, Any]) -> list[str]:
    from dockerctl.observe.namespaces import uid_map, uts_hostname

    hc = c.attrs.get("HostConfig") or {}
    pid = int(c.attrs["State"]["Pid"])
    out = []
    mode = hc.get("NetworkMode", "")
    if mode.startswith("container:"):
        out.append(
            f"{c.name}: --network container:{mode.split(':', 1)[1][:12]} joins that container's network "
            "namespace (seed C3)"
        )
    elif mode == "host":
        out.append(f"{c.name}: --network host shares the host's network namespace (seed N3)")
    elif mode == "none":
        out.append(f"{c.name}: --network none: its own network namespace with only lo (seed N2)")
    for key, flag in (("PidMode", "--pid"), ("IpcMode", "--ipc"), ("UTSMode", "--uts")):
        value = hc.get(key) or ""
        if value and value not in ("private", "shareable"):
            out.append(f"{c.name}: {flag} {value}")
    name = uts_hostname(pid)
    short = c.id[:12]
    if name is not None:
        if mode.startswith("container:"):
            why = "copied from the joined container (docker does so for --network container:); own UTS namespace"
        elif name == short:
            why = "the default: the short container id (seed K4)"
        elif (c.attrs.get("Config") or {}).get("Hostname") == name and mode != "host":
            why = "set with -h/--hostname (seed K4)"
        else:
            why = "the host's (shared UTS namespace)"
        out.append(f"{c.name}: hostname {name!r} — {why}")
    rows = uid_map(pid)
    remapped = not (len(rows) == 1 and rows[0] == (0, 0, 4294967295))
    daemon = any("name=userns" in str(o) for o in engine_info.get("SecurityOptions") or [])
    out.append(
        f"{c.name}: uid_map {rows} — "
        + (
            "users are remapped: root inside is an unprivileged user outside (seed K8)"
            if remapped
            else "no remapping: root inside is root on the host; the daemon runs "
            + ("with" if daemon else "without")
            + " --userns-remap (seed K8)"
        )
    )
    return out


def ns_report(client: docker.DockerClient, ref: str, others: list[str]) -> NsReport:
    from dockerctl.observe.namespaces import KINDS, namespace_ids

    containers = [get(client, r) for r in [ref, *others]]
    for c in containers:
        if int((c.attrs.get("State") or {}).get("Pid") or 0) <= 0:
            raise Conflict(
                f"container {c.name} is not running: it has no namespaces", hint=f"docker start {c.name}"
            )
    # the host's init; where /proc/1 is not readable (a sandbox), this dockerctl process stands in for the host
    ids = {"host": namespace_ids(1) or namespace_ids("self")}
    for c in containers:
        ids[c.name] = namespace_ids(int(c.attrs["State"]["Pid"]))
    subjects = list(ids)
    report = NsReport(subjects, ids)
    for i, a in enumerate(subjects):
        for b in subjects[i + 1 :]:
            report.pairs.append(
                {
                    "a": a,
                    "b": b,
                    **{
                        k: "shared" if ids[a].get(k) == ids[b].get(k) else "private"
                        for k in KINDS
                        if k in ids[a] and k in ids[b]
                    },
                }
            )
    info = engine_call(client.info, what="read the engine info")
    for c in containers:
        report.explanations.extend(_explain(c, info))
    return report


def net_path(client: docker.DockerClient, ref: str) -> Any:
    from dockerctl.observe.iproute import ip_json, parse_links, parse_routes
    from dockerctl.observe.iptables import iptables_save, parse_iptables_save
    from dockerctl.observe.netpath import build_path, read_resolv
    from dockerctl.observe.processes import processes

    c = get(client, ref)
    pid = int((c.attrs.get("State") or {}).get("Pid") or 0)
    if pid <= 0:
        raise Conflict(
            f"container {c.name} is not running: it has no network namespace", hint=f"docker start {c.name}"
        )
    bridges = {}
    for n in engine_call(client.networks.list, filters={"driver": "bridge"}, what="list networks"):
        opts = n.attrs.get("Options") or {}
        bridges[opts.get("com.docker.network.bridge.name") or f"br-{n.id[:12]}"] = n.name
    mode = str((c.attrs.get("HostConfig") or {}).get("NetworkMode", ""))
    return build_path(
        c.name,
        mode,
        parse_links(ip_json(["addr"], pid)),
        parse_routes(ip_json(["route"], pid)),
        parse_links(ip_json(["addr"])),
        parse_iptables_save(iptables_save("nat")),
        bridges,
        (c.attrs.get("NetworkSettings") or {}).get("Ports") or {},
        processes("docker-proxy"),
        read_resolv(pid),
    )


@dataclass
class CheckReport:
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.to_dict() for c in self.checks], "notes": self.notes}


def net_check(
    client: docker.DockerClient,
    a_ref: str,
    b_ref: str,
    *,
    by: str = "ip",
    port: int | None = None,
    expect: str = "reachable",
) -> CheckReport:
    """Seed C1–C3, N2–N3: send a packet from a to b and say why it did or did not arrive."""
    from dockerctl.observe.traffic import addresses, probe, targets

    a, b = get(client, a_ref), get(client, b_ref)
    for c in (a, b):
        if c.status != "running":
            raise Conflict(f"container {c.name} is not running", hint=f"docker start {c.name}")
    if by not in ("ip", "name"):
        raise InvalidInput("--by must be ip or name", where="--by")
    if expect not in ("reachable", "isolated"):
        raise InvalidInput("--expect must be reachable or isolated", where="--expect")
    mine, theirs = addresses(a), addresses(b)
    common = sorted(set(mine) & set(theirs))
    report = CheckReport()
    mode_a = str((a.attrs.get("HostConfig") or {}).get("NetworkMode", ""))
    if common:
        report.notes.append(f"common networks: {', '.join(common)} (seed C1)")
    else:
        report.notes.append(
            f"no common network: {a.name} on {sorted(mine) or mode_a}, {b.name} on {sorted(theirs)} "
            "— they cannot talk until `dockerctl net connect` (seed C1)"
        )
    if by == "name" and common == ["bridge"]:
        report.notes.append(
            "names resolve only on user-defined networks, not on the default bridge (seed C2)"
        )
    want = expect == "reachable"
    for target in targets(a, b, by) or [b.name]:
        reached, cmd, output = probe(a, target, port)
        observed = (
            "reached" if reached else f"not reached ({output.splitlines()[-1] if output else 'no answer'})"
        )
        report.checks.append(
            Check(
                f"{a.name} → {b.name} via {target}{f':{port}' if port else ''}",
                "C1,C2",
                expect,
                observed,
                Verdict.ENFORCED if reached == want else Verdict.MISMATCH,
                f"`{cmd}` inside {a.name}",
            )
        )
    return report


def prove_network(client: docker.DockerClient, which: str) -> CheckReport:
    from dockerctl.apply.containers import ensure_image_local
    from dockerctl.lab.images import BASE_IMAGE
    from dockerctl.prove.network import prove_outbound_nat, prove_published_port
    from dockerctl.prove.runner import proof_lab

    ensure_image_local(client, BASE_IMAGE)
    report = CheckReport()
    with proof_lab(client) as lab:
        if which in ("nat", "all"):
            report.checks.append(prove_outbound_nat(lab))
        if which in ("publish", "all"):
            report.checks.extend(prove_published_port(lab))
    return report


# ---- playbooks ---------------------------------------------------------------------------------------


@dataclass
class PlayReport:
    playbook: str
    lab: str
    plan: list[Any] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    dry_run: bool = False
    kept: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and (self.dry_run or all(c.ok for c in self.checks))

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "lab": self.lab,
            "dry_run": self.dry_run,
            "kept": self.kept,
            "ok": self.ok,
            "error": self.error,
            "plan": [c.to_dict() for c in self.plan],
            "checks": [c.to_dict() for c in self.checks],
        }


def play(
    client: docker.DockerClient,
    path: Path,
    *,
    dry_run: bool = False,
    keep: bool = False,
    parallel: int = 4,
    progress: Any = None,
) -> PlayReport:
    """validate → plan → apply → verify → (tear down unless keep). Ctrl-C half-way removes what this run
    created; a failure half-way does too, unless --keep, which leaves it to be looked at."""
    from dockerctl.apply.containers import ensure_image_local
    from dockerctl.apply.lab import tear_down
    from dockerctl.apply.plan import plan as make_plan
    from dockerctl.apply.playbook import Applied, build_images, execute, observe_lab, roll_back
    from dockerctl.lab.images import BASE_IMAGE
    from dockerctl.prove.expectations import evaluate
    from dockerctl.spec.playbook import load_playbook

    pb = load_playbook(path)  # every input error surfaces here, before the engine
    report = PlayReport(str(path), pb.name, dry_run=dry_run, kept=keep)
    observed = observe_lab(client, pb.name)
    report.plan = make_plan(pb, observed)
    if dry_run:
        return report
    ensure_image_local(client, BASE_IMAGE)
    from dockerctl.apply.swarm import swarm_init, swarm_leave, swarm_state
    from dockerctl.lab.hostlinks import ensure_veth, remove_lab_links

    applied = Applied()
    finished = False
    interrupted = False
    joined_swarm = False
    try:
        if pb.swarm and swarm_state(client) != "active":
            if progress:
                progress("joining swarm mode for the overlay networks")
            swarm_init(client, "127.0.0.1")
            joined_swarm = True
        for link, entry in pb.host_links.items():
            ensure_veth(link, entry.peer, pb.name)
        build_images(client, pb, path.parent, progress)
        execute(client, pb, report.plan, observed, applied, parallel=parallel, progress=progress)
        finished = True
        names = {n: client.containers.get(f"{pb.name}-{n}") for n in pb.containers}
        if progress:
            progress(f"verifying {len(pb.expect)} expectation(s)")
        report.checks = evaluate(client, pb, names)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if not keep:
            if progress:
                progress("tearing down")
            tear_down(client, pb.name)
            remove_lab_links(pb.name)
            if joined_swarm:
                swarm_leave(client, force=True)
        elif not finished and interrupted:
            roll_back(
                client, applied
            )  # Ctrl-C: what this run made goes; a failure under --keep stays to look at
    return report


def down(client: docker.DockerClient, lab: str, *, keep_volumes: bool = False) -> Any:
    from dockerctl.apply.cleanup import remove_owned
    from dockerctl.lab.hostlinks import remove_lab_links

    removed = remove_owned(client, lab=lab, volumes=not keep_volumes)
    remove_lab_links(lab)  # host links made by this lab, found by their alias
    return removed
