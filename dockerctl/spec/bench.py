"""What `bench net` can measure (seed X15: underlay beats overlay, measured, not theorised): each path,
the lab it needs, and how many hosts it crosses. Validated before anything is made."""

from __future__ import annotations

from dataclasses import dataclass

from dockerctl.errors import InvalidInput
from dockerctl.spec import netmodels as registry


@dataclass(frozen=True)
class PathDef:
    name: str
    lab: str  # the bench lab that provides it (one lab serves several paths)
    what: str
    across_hosts: bool


PATHS: dict[str, PathDef] = {
    p.name: p
    for p in (
        PathDef("loopback", "local", "inside one container, to 127.0.0.1: the upper limit", False),
        PathDef("bridge", "local", "two containers on the default bridge (docker0)", False),
        PathDef("macvlan", "local", "two macvlan containers on one parent", False),
        PathDef("host-host", "hosts", "host to host over the lab switch (no container)", True),
        PathDef("overlay", "hosts", "two containers on one overlay network, same host", False),
        PathDef("overlay-hosts", "hosts", "overlay network across two hosts (vxlan)", True),
        PathDef("macvlan-hosts", "hosts", "macvlan across two hosts on the lab switch", True),
    )
}
# each network model's paths, from its playbook section's bench labs (a lab per path)
PATHS.update({b.path: PathDef(b.path, b.path, b.what, True) for m in registry.sections() for b in m.bench})

MAX_SECONDS = 60
MAX_REPEAT = 20


@dataclass(frozen=True)
class BenchSpec:
    paths: tuple[str, ...]
    seconds: int
    repeat: int

    @property
    def labs(self) -> list[str]:
        """The labs the paths need, in the order of PATHS."""
        out: list[str] = []
        for name in self.paths:
            if PATHS[name].lab not in out:
                out.append(PATHS[name].lab)
        return out


def bench_spec(paths: str | None, seconds: int, repeat: int) -> BenchSpec:
    """`--paths a,b` (default: all), `--seconds`, `--repeat` → a BenchSpec, or one clear error."""
    if paths is None or paths.strip() in ("", "all"):
        chosen = list(PATHS)
    else:
        chosen = [p.strip() for p in paths.split(",") if p.strip()]
        unknown = [p for p in chosen if p not in PATHS]
        if unknown:
            raise InvalidInput(
                f"unknown path(s) {', '.join(map(repr, unknown))}",
                where="--paths",
                hint=f"give a comma-separated list of: {', '.join(PATHS)} (or all)",
            )
        if not chosen:
            raise InvalidInput("no path given", where="--paths", hint=f"one or more of: {', '.join(PATHS)}")
    if not 1 <= seconds <= MAX_SECONDS:
        raise InvalidInput(
            f"{seconds} is not a measuring time", where="--seconds", hint=f"1 to {MAX_SECONDS} seconds"
        )
    if not 1 <= repeat <= MAX_REPEAT:
        raise InvalidInput(f"{repeat} runs is out of range", where="--repeat", hint=f"1 to {MAX_REPEAT}")
    ordered = tuple(p for p in PATHS if p in chosen)  # the table's order, duplicates dropped
    return BenchSpec(ordered, seconds, repeat)
