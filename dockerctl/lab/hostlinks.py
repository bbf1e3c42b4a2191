"""Host links a lab makes (a veth pair as a macvlan parent, seed X7–X10). Each carries the interface
alias "dockerctl-lab=<lab>", so removal deletes exactly the lab's own links and never a host device."""

from __future__ import annotations

import json
import subprocess

from dockerctl.errors import Conflict, EngineError


def _ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    if done.returncode != 0:
        raise EngineError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout


def _links() -> list[dict[str, object]]:
    return list(json.loads(_ip("-json", "link") or "[]"))


def alias(lab: str) -> str:
    return f"dockerctl-lab={lab}"


def ensure_veth(name: str, peer: str, lab: str) -> bool:
    """Make the pair unless the lab has it already; a same-named device of anyone else is an error."""
    existing = {str(link["ifname"]): link for link in _links()}
    for n in (name, peer):
        if n in existing and existing[n].get("ifalias") != alias(lab):
            raise Conflict(
                f"host link {n} exists and is not this lab's: dockerctl never touches it",
                where=f"host_links.{name}",
            )
    if name in existing:
        return False
    _ip("link", "add", name, "type", "veth", "peer", "name", peer)
    for n in (name, peer):
        _ip("link", "set", n, "alias", alias(lab))
        _ip("link", "set", n, "up")
    return True


def remove_lab_links(lab: str) -> list[str]:
    removed = []
    for link in _links():
        if link.get("ifalias") == alias(lab):
            name = str(link["ifname"])
            subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)
            removed.append(name)
    return removed
