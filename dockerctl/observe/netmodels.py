"""The kernel evidence of a third-party network model on one host (seed X11–X14), read-only: links (with
their vxlan details), routes, neighbours, the bridge FDB, the filter table, the proxy ARP of the workload
interfaces a model names, and the KEY=VALUE file its daemon writes (subnet.env) if there is one. The
same reads serve dockerctl's models on lab hosts and real installs; judging is in verify/netmodels.py
and each model's verdicts.py, which say what of this they need (their `Detector`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dockerctl.hosts import Host


@dataclass
class ModelFacts:
    links: list[dict[str, Any]] = field(default_factory=list)  # ip -json -d link show
    routes: list[dict[str, Any]] = field(default_factory=list)  # ip -json route show
    neighbours: list[dict[str, Any]] = field(default_factory=list)  # ip -json neigh show
    fdb: list[dict[str, Any]] = field(default_factory=list)  # bridge -json fdb show
    filter_rules: str = ""  # iptables-save -t filter
    proxy_arp: dict[str, str] = field(default_factory=dict)  # workload interface → its proxy_arp sysctl
    subnet_env: dict[str, str] = field(default_factory=dict)  # a model daemon's KEY=VALUE file, parsed
    # model → the range its routes between hosts live in, as a dockerctl lab records it (`NetworkModel.
    # range_on`), or as the model's own config on a real host says (a key of that file)
    ranges: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # reads that failed: named, never guessed around


def parse_env(text: str) -> dict[str, str]:
    """KEY=VALUE lines (subnet.env) → dict; comments and blank lines skipped."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip('"')
    return out


def _json(host: Host, argv: list[str], facts: ModelFacts) -> list[dict[str, Any]]:
    done = host.run(argv)
    if not done.ok:
        facts.errors.append(f"{' '.join(argv)}: {done.output.strip()[:200]}")
        return []
    try:
        data = json.loads(done.stdout or "[]")
    except ValueError as exc:
        facts.errors.append(f"{' '.join(argv)}: not JSON ({exc})")
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


@dataclass(frozen=True)
class EnvFile:
    """A KEY=VALUE file a model's daemon writes, and the key naming the model's range (→ `ranges[model]`)."""

    path: str
    range_key: str
    model: str


def read_model_facts(
    host: Host,
    *,
    ranges: dict[str, str] | None = None,
    proxy_arp_of: tuple[str, ...] = (),
    env_files: tuple[EnvFile, ...] = (),
) -> ModelFacts:
    """Everything the detectors judge, read in the host's network namespace: proxy_arp_of, the prefixes
    of the interfaces whose proxy_arp sysctl is read; env_files, the daemons' files read (the first found)."""
    facts = ModelFacts(ranges=dict(ranges or {}))
    facts.links = _json(host, ["ip", "-json", "-d", "link", "show"], facts)
    facts.routes = _json(host, ["ip", "-json", "route", "show"], facts)
    facts.neighbours = _json(host, ["ip", "-json", "neigh", "show"], facts)
    facts.fdb = _json(host, ["bridge", "-json", "fdb", "show"], facts)
    done = host.run(["iptables-save", "-t", "filter"])
    facts.filter_rules = done.stdout if done.ok else ""
    for link in facts.links:
        name = str(link.get("ifname", ""))
        if proxy_arp_of and name.startswith(proxy_arp_of):
            # /proc/sys/net is the reader's namespace: read it from inside the host's
            got = host.run(["cat", f"/proc/sys/net/ipv4/conf/{name}/proxy_arp"])
            facts.proxy_arp[name] = got.stdout.strip() if got.ok else "?"
    for env in env_files:
        text = host.read_text(env.path)
        if text:
            facts.subnet_env = parse_env(text)
            if facts.subnet_env.get(env.range_key):
                facts.ranges.setdefault(env.model, facts.subnet_env[env.range_key])
            break
    return facts
