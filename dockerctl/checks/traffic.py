"""Reachability and name resolution, sent and judged in one place (seed C1–C3, N2–N3, N9): a packet
from inside A to B (ping, or a TCP connect to a port) and nslookup inside A. `net check`, playbook
`reachable`/`isolated`/`dns` expectations and `assert_reachable`/`assert_isolated` all come here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docker.models.containers import Container

from dockerctl.observe.traffic import addresses, probe, targets
from dockerctl.verify.verdict import Check, Verdict


@dataclass(frozen=True)
class Attempt:
    target: str
    reached: bool
    command: str
    output: str


@dataclass
class Reach:
    """Packets from `source` to `dest` by each target tried."""

    source: str
    dest: str
    by: str
    port: int | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return any(a.reached for a in self.attempts)

    def check(self, want: bool, claim: str, subject: str | None = None) -> Check:
        """One verdict: reachable (some target answered) or isolated (none did)."""
        tried = "; ".join(a.command for a in self.attempts) or "(no address to try)"
        return Check(
            subject or f"{self.source} → {self.dest} by {self.by}{f' port {self.port}' if self.port else ''}",
            claim,
            "reachable" if want else "isolated",
            "reached" if self.reached else "not reached",
            Verdict.ENFORCED if self.reached == want else Verdict.MISMATCH,
            f"inside {self.source}: {tried}",
        )

    def per_target(self, want: bool, claim: str) -> list[Check]:
        """One verdict per target tried (what `net check` shows)."""
        out = []
        for a in self.attempts:
            observed = (
                "reached"
                if a.reached
                else f"not reached ({a.output.splitlines()[-1] if a.output else 'no answer'})"
            )
            out.append(
                Check(
                    f"{self.source} → {self.dest} via {a.target}{f':{self.port}' if self.port else ''}",
                    claim,
                    "reachable" if want else "isolated",
                    observed,
                    Verdict.ENFORCED if a.reached == want else Verdict.MISMATCH,
                    f"`{a.command}` inside {self.source}",
                )
            )
        return out


def reach(
    a: Container,
    b: Container,
    *,
    by: str = "ip",
    port: int | None = None,
    names: list[str] | None = None,
    stop_at_first: bool = False,
    count: int = 1,
) -> Reach:
    """Try each of b's addresses (on networks a shares, else all) or `names` (default: b's name)."""
    if by not in ("ip", "name"):
        raise ValueError("by must be 'ip' or 'name'")
    tried = (names or [str(b.name)]) if by == "name" else targets(a, b, "ip")
    out = Reach(str(a.name), str(b.name), by, port)
    for target in tried:
        reached, command, output = probe(a, target, port, count)
        out.attempts.append(Attempt(target, reached, command, output))
        if reached and stop_at_first:
            break
    return out


def reach_address(a: Container, address: str, *, port: int | None = None) -> Reach:
    """A packet from inside a to an address (a gateway, a host on the lab switch)."""
    out = Reach(str(a.name), address, "ip", port)
    reached, command, output = probe(a, address, port)
    out.attempts.append(Attempt(address, reached, command, output))
    return out


def reply_ttl(found: Reach) -> int | None:
    """The TTL of the first ping reply seen ('… ttl=64 time=…'): 64 from a Linux peer one hop away."""
    for attempt in found.attempts:
        match = re.search(r"ttl=(\d+)", attempt.output)
        if match:
            return int(match.group(1))
    return None


def isolation(
    a: Container, b: Container, *, port: int | None = None, names: list[str] | None = None
) -> Reach:
    """Every way a could reach b: all of b's IPs and its name(s)."""
    out = Reach(str(a.name), str(b.name), "ip and name", port)
    for target in [*addresses(b).values(), *(names or [str(b.name)])]:
        reached, command, output = probe(a, target, port)
        out.attempts.append(Attempt(target, reached, command, output))
    return out


def check_dns(a: Container, name: str, *, resolves: bool = True, claim: str = "C2") -> Check:
    """nslookup `name` inside a: does the embedded DNS (127.0.0.11) answer it?"""
    result = a.exec_run(["nslookup", name])
    out = result.output.decode(errors="replace")
    resolved = result.exit_code == 0 and "can't resolve" not in out and "NXDOMAIN" not in out
    return Check(
        f"{a.name} resolves {name}",
        claim,
        "resolves" if resolves else "does not resolve",
        "resolves" if resolved else "does not resolve",
        Verdict.ENFORCED if resolved == resolves else Verdict.MISMATCH,
        f"nslookup {name} inside {a.name}",
    )
