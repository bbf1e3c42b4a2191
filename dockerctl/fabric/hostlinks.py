"""Host links a lab makes (a veth pair as a macvlan parent, seed X7–X10). Each carries the interface
alias "dockerctl-lab=<lab>", so removal deletes exactly the lab's own links and never a host device."""

from __future__ import annotations

import json

from dockerctl.errors import Conflict, EngineError
from dockerctl.hosts import Host


def _ip(host: Host, *args: str) -> str:
    done = host.run(["ip", *args])
    if not done.ok:
        raise EngineError(f"`ip {' '.join(args)}` failed on {host.name}: {done.stderr.strip()}")
    return done.stdout


def _links(host: Host) -> list[dict[str, object]]:
    return list(json.loads(_ip(host, "-json", "link") or "[]"))


def alias(lab: str) -> str:
    return f"dockerctl-lab={lab}"


def ensure_veth(host: Host, name: str, peer: str, lab: str) -> bool:
    """Make the pair unless the lab has it already; a same-named device of anyone else is an error."""
    existing = {str(link["ifname"]): link for link in _links(host)}
    for n in (name, peer):
        if n in existing and existing[n].get("ifalias") != alias(lab):
            raise Conflict(
                f"host link {n} exists and is not this lab's: dockerctl never touches it",
                where=f"host_links.{name}",
            )
    if name in existing:
        return False
    _ip(host, "link", "add", name, "type", "veth", "peer", "name", peer)
    for n in (name, peer):
        _ip(host, "link", "set", n, "alias", alias(lab))
        _ip(host, "link", "set", n, "up")
    return True


def remove_lab_links(host: Host, lab: str) -> list[str]:
    removed = []
    for link in _links(host):
        if link.get("ifalias") == alias(lab):
            name = str(link["ifname"])
            host.run(["ip", "link", "del", name])
            removed.append(name)
    return removed
