"""The Prometheus exporter: each scrape reads every running container's cgroup files fresh.

cAdvisor's metric names where the figure is the same (dashboards keep working), and what nobody exports:
what each container asked, what its kernel holds, whether that holds (`dockerctl_limit_*`), and OOM kills
from the kernel's own counter (it survives a restart of the exporter, unlike a count of kernel log lines).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import LAB
from dockerctl.errors import DockerctlError, InvalidInput
from dockerctl.ops.top import Sample, Selection, sample

LABELS = (
    "name", "id", "image", "host", "node", "node_id", "compose_project", "compose_service", "swarm_service", "lab",
)  # fmt: skip
# PSI (cgroup v2 `cpu.pressure`, `memory.pressure`, `io.pressure`) as cAdvisor names it: `some` is the time
# some task waited, `full` the time no task could make progress (stalled); the files count microseconds
PRESSURE = (
    ("cpu", "some", "container_pressure_cpu_waiting_seconds_total",
     "Total time tasks in the container have waited due to CPU congestion (cpu.pressure some total)."),
    ("cpu", "full", "container_pressure_cpu_stalled_seconds_total",
     "Total time no tasks in the container could make progress due to CPU congestion (cpu.pressure full total)."),
    ("memory", "some", "container_pressure_memory_waiting_seconds_total",
     "Total time tasks in the container have waited due to memory congestion (memory.pressure some total)."),
    ("memory", "full", "container_pressure_memory_stalled_seconds_total",
     "Total time no tasks in the container could make progress due to memory congestion (memory.pressure full)."),
    ("io", "some", "container_pressure_io_waiting_seconds_total",
     "Total time tasks in the container have waited due to IO congestion (io.pressure some total)."),
    ("io", "full", "container_pressure_io_stalled_seconds_total",
     "Total time no tasks in the container could make progress due to IO congestion (io.pressure full total)."),
)  # fmt: skip
NODE_TTL = 30.0  # seconds an engine's node name and swarm node id are reused before asking again

# one series per container: (name, gauge or counter, help) — cAdvisor's names where it has one (estate.md)
PER_CONTAINER: tuple[tuple[str, type[GaugeMetricFamily] | type[CounterMetricFamily], str], ...] = (
    ("container_spec_memory_limit_bytes", GaugeMetricFamily, "Memory limit of the container, from its cgroup (0: none)."),
    ("container_memory_usage_bytes", GaugeMetricFamily, "Current memory usage, from its cgroup."),
    ("container_memory_swap", GaugeMetricFamily, "Swap in use, from its cgroup."),
    ("container_memory_max_usage_bytes", GaugeMetricFamily, "Highest memory usage since start, from its cgroup."),
    ("container_processes", GaugeMetricFamily, "Processes (tasks) in the container's pids cgroup."),
    ("container_spec_pids_max", GaugeMetricFamily, "pids.max of the container (+Inf: none)."),
    ("container_memory_failcnt", CounterMetricFamily,
     "Times memory use hit the limit (v1 failcnt, v2 memory.events max)."),
    ("container_cpu_usage_seconds_total", CounterMetricFamily, "CPU time used, from its cgroup."),
    ("container_cpu_cfs_periods_total", CounterMetricFamily, "Elapsed CFS enforcement periods."),
    ("container_cpu_cfs_throttled_periods_total", CounterMetricFamily,
     "CFS periods in which the container was throttled."),
    ("container_cpu_cfs_throttled_seconds_total", CounterMetricFamily, "Time the container was throttled."),
    ("dockerctl_oom_kills_total", CounterMetricFamily,
     "OOM kills in the container since it started, the kernel's counter."),
    ("dockerctl_pids_limit_hits_total", CounterMetricFamily, "Forks refused at pids.max (pids.events max)."),
)  # fmt: skip
DEFAULT_LISTEN = "127.0.0.1:9417"
# the unit of each `limit` of dockerctl_limit_asked / _kernel, as the checks carry it (verify/limits.py)
ASKED_HELP = (
    "What the container asked for this limit, in its unit: bytes (memory, memory+swap), CPU shares "
    "(cpu shares; 1024 when none asked), CPUs (cpus), the number of CPUs in the set (cpuset: cAdvisor "
    "exports no cpuset figure; no series when none asked), tasks (pids), a blkio weight 10-1000 (blkio "
    "weight; no series when none asked), bytes/s or IO/s (device throttles); +Inf: no limit."
)
KERNEL_HELP = (
    "What the kernel holds for this limit, in the unit of dockerctl_limit_asked; +Inf: no limit. cpu shares "
    "on cgroup v2: the shares cpu.weight stands for (the asked shares when cpu.weight is a runtime's "
    "conversion of them, else cAdvisor's 2 + (weight - 1) * 262142 / 9999); cpuset: the number of CPUs "
    "in cpuset.cpus (v2, when empty: cpuset.cpus.effective); blkio weight: io.weight converted back."
)


def parse_listen(text: str, *, allow_remote: bool) -> tuple[str, int]:
    """'127.0.0.1:9417' → (address, port); anything but loopback needs allow_remote."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        number = int(port)
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not ADDRESS:PORT: expected e.g. 127.0.0.1:9417", where="--listen"
        ) from None
    if not sep or not 1 <= number <= 65535:
        raise InvalidInput(f"port must be between 1 and 65535, got {port!r}", where="--listen")
    if not address.is_loopback and not allow_remote:
        raise InvalidInput(
            f"{host} is not a loopback address: the exporter shows every container's limits; "
            "add --allow-remote to listen there",
            where="--listen",
        )
    return str(address), number


@dataclass(frozen=True)
class Node:
    """Which node an engine is: its name (`--node`, else the engine's host name) and its swarm node id."""

    name: str
    id: str


def node_of(info: dict[str, object], name: str | None = None) -> Node:
    """From the engine's `docker info`: Name (the host name the engine reports) and Swarm.NodeID (empty
    outside swarm mode)."""
    swarm = info.get("Swarm")
    node_id = str(swarm.get("NodeID") or "") if isinstance(swarm, dict) else ""
    return Node(name or str(info.get("Name") or ""), node_id)


def _labels(s: Sample, host: str, node: Node) -> list[str]:
    tags = s.labels
    return [
        s.name, s.id[:12], s.image, host, node.name, node.id, tags.get("com.docker.compose.project", ""),
        tags.get("com.docker.compose.service", ""), tags.get("com.docker.swarm.service.name", ""), tags.get(LAB, ""),
    ]  # fmt: skip


@dataclass(eq=False)  # the registry keys collectors by identity
class DockerctlCollector(Collector):
    engines: list[Engine]
    selection: Selection = field(default_factory=Selection)
    read_errors: int = 0
    node_name: str | None = None  # --node: the `node` label of every series (default: the engine's name)
    _nodes: dict[str, tuple[float, Node]] = field(default_factory=dict)

    def node(self, engine: Engine) -> Node:
        """The engine's node, asked at most every NODE_TTL seconds (the scrape reads containers, not info)."""
        at, known = self._nodes.get(engine.name, (-math.inf, None))
        if known is not None and time.monotonic() - at < NODE_TTL:
            return known
        info = engine_call(engine.client.info, what=f"ask the engine at {engine.url} for its info")
        found = node_of(info, self.node_name)
        self._nodes[engine.name] = (time.monotonic(), found)
        return found

    def collect(self) -> Iterator[Metric]:
        started = time.monotonic()
        readings: list[Reading] = []
        for engine in self.engines:
            known = self._nodes.get(engine.name, (0.0, Node(self.node_name or "", "")))[1]
            try:
                node = self.node(engine)
                samples = sample(engine, self.selection)
            except DockerctlError:
                self.read_errors += 1
                readings.append(Reading(engine.name, known, None))
                continue
            readings.append(Reading(engine.name, node, samples))
            self.read_errors += sum(1 for s in samples if s.error and s.error != "not running")
        yield from metrics(readings, self.read_errors, started)


@dataclass
class Reading:
    """One engine's containers as one scrape read them (samples None: the engine did not answer)."""

    host: str
    node: Node
    samples: list[Sample] | None


def metrics(readings: list[Reading], read_errors: int, started: float) -> Iterator[Metric]:
    """The metric families of one scrape (pure: what was read in, families out)."""
    families = {name: kind(name, doc, labels=LABELS) for name, kind, doc in PER_CONTAINER}
    limit_labels = (*LABELS, "limit")
    asked = GaugeMetricFamily("dockerctl_limit_asked", ASKED_HELP, labels=limit_labels)
    kernel = GaugeMetricFamily("dockerctl_limit_kernel", KERNEL_HELP, labels=limit_labels)
    holds = GaugeMetricFamily(
        "dockerctl_limit_holds", "1 when the kernel holds the limit as asked (or none asked, none held).",
        labels=limit_labels,
    )  # fmt: skip
    blkio = CounterMetricFamily(
        "container_blkio_device_usage_total",
        "Bytes read and written per device, from its cgroup (v1 blkio.throttle.io_service_bytes, v2 io.stat).",
        labels=(*LABELS, "device", "major", "minor", "operation"),
    )
    up = GaugeMetricFamily(
        "dockerctl_engine_up", "1 when the engine answered this scrape, 0 when it did not.",
        labels=("host", "node", "node_id"),
    )  # fmt: skip
    psi = {(res, kind): CounterMetricFamily(name, doc, labels=LABELS) for res, kind, name, doc in PRESSURE}
    seen = 0
    for r in readings:
        up.add_metric([r.host, r.node.name, r.node.id], 0.0 if r.samples is None else 1.0)
        for s in r.samples or []:
            if s.error or s.pressure is None:
                continue
            seen += 1
            lv = _labels(s, r.host, r.node)
            p = s.pressure
            values = {
                "container_spec_memory_limit_bytes": p.memory_limit or 0,
                "container_memory_usage_bytes": p.memory_usage,
                "container_memory_swap": p.swap_usage,
                "container_memory_max_usage_bytes": p.memory_peak,
                "container_processes": p.pids_current,
                "container_spec_pids_max": math.inf if p.pids_max is None else p.pids_max,
                "container_memory_failcnt": p.limit_hits,
                "container_cpu_usage_seconds_total": p.cpu_usage_seconds,
                "container_cpu_cfs_periods_total": p.cpu_periods,
                "container_cpu_cfs_throttled_periods_total": p.cpu_throttled_periods,
                "container_cpu_cfs_throttled_seconds_total": p.cpu_throttled_seconds,
                "dockerctl_oom_kills_total": p.oom_kills,
                "dockerctl_pids_limit_hits_total": p.pids_limit_hits,
            }
            for name, value in values.items():
                if value is not None:
                    families[name].add_metric(lv, float(value))
            for (res, kind), family in psi.items():
                total = p.psi.get(res, {}).get(kind, {}).get("total")
                if total is not None:
                    family.add_metric(lv, total / 1e6)  # the files count microseconds
            for dev, (read, written) in sorted(p.io_bytes.items()):
                major, _, minor = dev.partition(":")
                blkio.add_metric([*lv, dev, major, minor, "Read"], float(read))
                blkio.add_metric([*lv, dev, major, minor, "Write"], float(written))
            for check in s.checks:  # the figures the checks read, never their text
                la = [*lv, check.subject]
                if check.desired_value is not None:
                    asked.add_metric(la, check.desired_value)
                if check.observed_value is not None:
                    kernel.add_metric(la, check.observed_value)
                holds.add_metric(la, 1.0 if check.ok else 0.0)
    yield from families.values()
    yield from psi.values()
    yield blkio
    yield asked
    yield kernel
    yield holds
    yield up
    yield GaugeMetricFamily(
        "dockerctl_containers_seen", "Running containers read in this scrape.", value=seen
    )
    yield CounterMetricFamily(
        "dockerctl_read_errors", "Containers or engines that could not be read, since the exporter started.",
        value=read_errors,
    )  # fmt: skip
    yield GaugeMetricFamily(
        "dockerctl_scrape_duration_seconds", "Time this scrape took to read the kernel.",
        value=time.monotonic() - started,
    )  # fmt: skip


def address_on_network(engine: Engine, network: str) -> str:
    """This process's address on the engine's network `network` (a swarm overlay the exporter's task is
    attached to): the source address the kernel picks towards the network's subnet. Nothing is sent (a UDP
    socket is only connected)."""
    import socket

    found = engine_call(engine.client.networks.get, network, what=f"find network {network}")
    subnets = [
        c.get("Subnet") for c in (found.attrs.get("IPAM") or {}).get("Config") or [] if c.get("Subnet")
    ]
    for text in subnets:
        subnet = ipaddress.ip_network(text, strict=False)
        if subnet.version != 4 or subnet.num_addresses < 4:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((str(subnet.network_address + 1), 9))
            except OSError:
                continue
            mine = probe.getsockname()[0]
        if ipaddress.ip_address(mine) in subnet:
            return str(mine)
    raise InvalidInput(
        f"this process has no address on network {network} (subnets {', '.join(subnets) or 'none'})",
        where="--on-network",
        hint="run the exporter in a container attached to that network (examples/swarm/exporter-stack.yml)",
    )


def serve(
    engines: list[Engine],
    address: str,
    port: int,
    selection: Selection | None = None,
    node_name: str | None = None,
) -> None:
    """Serve /metrics until the process is stopped (Ctrl-C or SIGTERM)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(DockerctlCollector(engines, selection or Selection(), node_name=node_name))
    server, thread = start_http_server(port, addr=address, registry=registry)
    try:
        while thread.is_alive():
            thread.join(0.5)
    finally:
        server.shutdown()
