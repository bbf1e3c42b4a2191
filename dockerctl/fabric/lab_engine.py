"""Which lab host an engine is, told by its URL and the lab hosts' records alone: every command asks
(cli/_context.engine), and one that reaches no lab host — the usual `limits`, `ns`, `mounts`, `audit` —
loads none of the machinery that makes, reaches and tears down lab hosts (host_kinds, simhost, …)."""

from __future__ import annotations

from dockerctl.engines.engine import Engine
from dockerctl.fabric.lab_host_records import all_records


def as_lab_host(engine: Engine) -> Engine:
    """An engine reached at a lab host's URL (e.g. -H unix:///run/dctl-h1.sock) is that host: its name,
    and its kernel read in its own namespace (commands like `ip` run there, not in this machine's)."""
    for rec in all_records():
        for h in rec.hosts.values():
            if h.url != engine.url:
                continue
            from dockerctl.fabric.host_kinds import kind_of  # only for a URL a lab host has

            kind = kind_of(h.kind)
            if kind.this_machine:
                continue
            engine.host.close()
            engine.host = kind.kernel(h)
            engine.name = h.name
            return engine
    return engine
