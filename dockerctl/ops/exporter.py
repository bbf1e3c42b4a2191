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

from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import LAB
from dockerctl.errors import DockerctlError, InvalidInput
from dockerctl.ops.top import Sample, Selection, number_of, sample

LABELS = ("name", "id", "image", "host", "compose_project", "compose_service", "swarm_service", "lab")

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


def _labels(s: Sample, host: str) -> list[str]:
    tags = s.labels
    return [
        s.name, s.id[:12], s.image, host, tags.get("com.docker.compose.project", ""),
        tags.get("com.docker.compose.service", ""), tags.get("com.docker.swarm.service.name", ""), tags.get(LAB, ""),
    ]  # fmt: skip


@dataclass(eq=False)  # the registry keys collectors by identity
class DockerctlCollector(Collector):
    engines: list[Engine]
    selection: Selection = field(default_factory=Selection)
    read_errors: int = 0

    def collect(self) -> Iterator[Metric]:
        started = time.monotonic()
        families = {name: kind(name, doc, labels=LABELS) for name, kind, doc in PER_CONTAINER}
        limit_labels = (*LABELS, "limit")
        asked = GaugeMetricFamily(
            "dockerctl_limit_asked", "What the container asked for this limit.", labels=limit_labels
        )
        kernel = GaugeMetricFamily(
            "dockerctl_limit_kernel", "What the kernel holds for this limit.", labels=limit_labels
        )
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
            "dockerctl_engine_up",
            "1 when the engine answered this scrape, 0 when it did not.",
            labels=("host",),
        )
        seen = 0
        for engine in self.engines:
            try:
                samples = sample(engine, self.selection)
            except DockerctlError:
                self.read_errors += 1
                up.add_metric([engine.name], 0.0)
                continue
            up.add_metric([engine.name], 1.0)
            for s in samples:
                if s.error or s.pressure is None:
                    if s.error != "not running":
                        self.read_errors += 1
                    continue
                seen += 1
                lv = _labels(s, engine.name)
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
                for dev, (read, written) in sorted(p.io_bytes.items()):
                    major, _, minor = dev.partition(":")
                    blkio.add_metric([*lv, dev, major, minor, "Read"], float(read))
                    blkio.add_metric([*lv, dev, major, minor, "Write"], float(written))
                for check in s.checks:
                    la = [*lv, check.subject]
                    want, have = number_of(check.desired), number_of(check.observed)
                    if want is not None:
                        asked.add_metric(la, want)
                    if have is not None:
                        kernel.add_metric(la, have)
                    holds.add_metric(la, 1.0 if check.ok else 0.0)
        yield from families.values()
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
            value=self.read_errors,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "dockerctl_scrape_duration_seconds", "Time this scrape took to read the kernel.",
            value=time.monotonic() - started,
        )  # fmt: skip


def serve(engines: list[Engine], address: str, port: int, selection: Selection | None = None) -> None:
    """Serve /metrics until the process is stopped (Ctrl-C or SIGTERM)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(DockerctlCollector(engines, selection or Selection()))
    server, thread = start_http_server(port, addr=address, registry=registry)
    try:
        while thread.is_alive():
            thread.join(0.5)
    finally:
        server.shutdown()
