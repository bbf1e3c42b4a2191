"""Traffic between containers, sent from inside the first (seed C1–C3, N2–N3): ping, or a TCP connect."""

from __future__ import annotations

from docker.models.containers import Container


def addresses(c: Container) -> dict[str, str]:
    """network name → the container's IPv4 address on it."""
    nets = (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return {name: v.get("IPAddress") for name, v in nets.items() if v.get("IPAddress")}


def probe(a: Container, target: str, port: int | None, count: int = 1) -> tuple[bool, str, str]:
    """(reached, command, output) for `count` pings (or one TCP connect) from a to target."""
    if port is None:
        argv = ["ping", "-c", str(count), "-W", "2", target]
    else:
        argv = ["sh", "-c", 'nc -w 2 "$1" "$2" </dev/null', "sh", target, str(port)]
    result = a.exec_run(argv)
    return result.exit_code == 0, " ".join(argv), result.output.decode(errors="replace").strip()


def targets(a: Container, b: Container, by: str) -> list[str]:
    """What a would use to reach b: b's name, or b's IPs on networks they share (else all of b's IPs)."""
    if by == "name":
        return [b.name]
    if by != "ip":
        raise ValueError("by must be 'ip' or 'name'")
    mine, theirs = addresses(a), addresses(b)
    common = [theirs[n] for n in theirs if n in mine]
    return common or list(theirs.values())
