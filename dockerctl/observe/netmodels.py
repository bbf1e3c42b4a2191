"""The kernel evidence of a third-party network model on one host (seed X11–X14), read-only: links (with
their vxlan details), routes, neighbours, the bridge FDB, the filter table and proxy ARP of calico's
workload interfaces, and flannel's own `/run/flannel/subnet.env` if there is one. The same reads serve
dockerctl's models on lab hosts and real flanneld / calico-node / weave installs; judging is in
verify/netmodels.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dockerctl.hosts import Host

SUBNET_ENV = "/run/flannel/subnet.env"  # what flanneld writes for docker (FLANNEL_NETWORK, FLANNEL_SUBNET …)


@dataclass
class ModelFacts:
    links: list[dict[str, Any]] = field(default_factory=list)  # ip -json -d link show
    routes: list[dict[str, Any]] = field(default_factory=list)  # ip -json route show
    neighbours: list[dict[str, Any]] = field(default_factory=list)  # ip -json neigh show
    fdb: list[dict[str, Any]] = field(default_factory=list)  # bridge -json fdb show
    filter_rules: str = ""  # iptables-save -t filter
    proxy_arp: dict[str, str] = field(default_factory=dict)  # cali* interface → its proxy_arp sysctl
    subnet_env: dict[str, str] = field(default_factory=dict)  # /run/flannel/subnet.env, parsed
    # model → the range its routes between hosts live in, as a dockerctl lab records it (`NetworkModel.
    # range_on`), or as the model's own config on a real host says (flannel's FLANNEL_NETWORK)
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


def read_model_facts(host: Host, *, ranges: dict[str, str] | None = None) -> ModelFacts:
    """Everything verify/netmodels.py judges, read in the host's network namespace."""
    facts = ModelFacts(ranges=dict(ranges or {}))
    facts.links = _json(host, ["ip", "-json", "-d", "link", "show"], facts)
    facts.routes = _json(host, ["ip", "-json", "route", "show"], facts)
    facts.neighbours = _json(host, ["ip", "-json", "neigh", "show"], facts)
    facts.fdb = _json(host, ["bridge", "-json", "fdb", "show"], facts)
    done = host.run(["iptables-save", "-t", "filter"])
    facts.filter_rules = done.stdout if done.ok else ""
    for link in facts.links:
        name = str(link.get("ifname", ""))
        if name.startswith("cali"):
            # /proc/sys/net is the reader's namespace: read it from inside the host's
            got = host.run(["cat", f"/proc/sys/net/ipv4/conf/{name}/proxy_arp"])
            facts.proxy_arp[name] = got.stdout.strip() if got.ok else "?"
    text = host.read_text(SUBNET_ENV)
    if text:
        facts.subnet_env = parse_env(text)
        if facts.subnet_env.get("FLANNEL_NETWORK"):
            facts.ranges.setdefault("flannel", facts.subnet_env["FLANNEL_NETWORK"])
    return facts
