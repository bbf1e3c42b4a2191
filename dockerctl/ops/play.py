"""`play`, `down`: a playbook's lab brought up on its hosts' engines, verified, reported, torn down."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockerctl.apply.containers import ensure_image_local
from dockerctl.apply.plan import Change
from dockerctl.apply.plan import plan as make_plan
from dockerctl.apply.playbook import (
    PARALLEL,
    Applied,
    build_images,
    execute,
    image_tags,
    observe_hosts,
    roll_back,
    wait_for_services,
)
from dockerctl.engines.client import engine_call, translate
from dockerctl.engines.engine import Engine
from dockerctl.engines.locks import lab_lock
from dockerctl.engines.signals import Interrupted, on_stop, reached, shielded
from dockerctl.errors import DockerctlError, EngineUnavailable, InvalidInput
from dockerctl.jsonout import Jsonable
from dockerctl.ops import lifecycle
from dockerctl.spec.models import BASE_IMAGE
from dockerctl.spec.playbook import Playbook, load_playbook

if TYPE_CHECKING:  # the verdicts (and the cgroup readers under them) load only when a lab has expectations
    from dockerctl.verify.verdict import Check

Progress = Callable[[str], None]


@dataclass
class PlayReport(Jsonable):
    JSON = "playbook lab hosts dry_run kept ok error notes timings plan checks"

    playbook: str
    lab: str
    plan: list[Change] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)  # host → the engine URL it was reached at
    dry_run: bool = False
    kept: bool = False
    error: str = ""
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # phase → seconds, in the order they ran

    def timed(self, phase: str, since: float) -> float:
        """Record a phase that began at `since` (time.monotonic); → now, where the next one begins."""
        now = time.monotonic()
        self.timings[phase] = round(now - since, 3)
        return now

    @property
    def ok(self) -> bool:
        return not self.error and (self.dry_run or all(c.ok for c in self.checks))


def _made(applied: Applied) -> str:
    counts: dict[str, int] = {}
    for kind, _, _ in applied.created:
        counts[kind] = counts.get(kind, 0) + 1
    made = ", ".join(f"{n} {kind}(s)" for kind, n in counts.items())
    doing = ", ".join(sorted(applied.in_progress))
    if not made:
        return f"it was creating {doing}" if doing else "nothing had been created yet"
    return f"it had created {made}" + (f" and was creating {doing}" if doing else "")


def play(
    engine: Engine,
    path: Path,
    *,
    dry_run: bool = False,
    keep: bool = False,
    parallel: int = PARALLEL,
    progress: Progress | None = None,
    wait: float = 0,
) -> PlayReport:
    """validate → hosts → plan → apply → verify → (tear down unless keep). Ctrl-C half-way removes what
    this run created; a failure half-way does too, unless --keep, which leaves it to be looked at. An
    engine that goes away half-way is one sentence (what had been made), never a traceback. The lab's
    lock is held throughout: a second run of the same lab waits `wait` seconds, else is refused."""
    pb = load_playbook(path)  # every input error surfaces here, before the engine
    report = PlayReport(str(path), pb.name, dry_run=dry_run, kept=keep)
    if dry_run:
        return _play(engine, path, pb, report, keep=keep, parallel=parallel, progress=progress)
    with on_stop(f"nothing of lab {pb.name} was made"), lab_lock(pb.name, wait=wait, notes=report.notes):
        reached("play:locked")
        return _play(engine, path, pb, report, keep=keep, parallel=parallel, progress=progress)


def _play(
    engine: Engine,
    path: Path,
    pb: Playbook,
    report: PlayReport,
    *,
    keep: bool,
    parallel: int,
    progress: Progress | None,
) -> PlayReport:
    order = list(pb.hosts) or ["local"]
    if report.dry_run:
        present = {"local": engine} if not pb.hosts else _hosts_up_now(pb.name, engine)
        try:
            report.plan = make_plan(pb, observe_hosts(present, pb.name, [h for h in order if h in present]))
        finally:
            _close(present, engine)
        return report
    say = progress or (lambda _msg: None)
    ensure_image_local(engine.client, BASE_IMAGE)
    applied = Applied()
    engines: dict[str, Engine] = {}
    joined: list[str] = []
    kept_pool: list[str] = []  # pool volumes with data from before this run: they stay
    finished = interrupted = False
    failure: BaseException | None = None
    lifecycle.preflight(pb)
    mark = time.monotonic()
    try:
        reached("play:building")
        build_images(engine.client, pb, path.parent, progress)
        mark = report.timed("images", mark)
        engines = lifecycle.hosts_up(engine, pb, [BASE_IMAGE, *image_tags(pb).values()], progress)
        report.hosts = {name: e.url for name, e in engines.items()}
        kept_pool = lifecycle.models_up(pb, progress)
        if kept_pool:
            report.notes.append(
                f"the storage pool holds data from before: {', '.join(kept_pool)} (kept after this run; "
                f"`dockerctl down --lab {pb.name} --volumes` removes it)"
            )
        if pb.swarm:
            say("swarm mode" + (f" across {', '.join(order)}" if len(order) > 1 else ""))
        joined = lifecycle.swarm_up(engine, engines, pb, order)  # `down` leaves it again
        mark = report.timed("hosts and models", mark)
        observed = observe_hosts(engines, pb.name, order)
        report.plan = make_plan(pb, observed)
        if pb.host_links:
            from dockerctl.fabric.hostlinks import ensure_veth

            for link, entry in pb.host_links.items():
                ensure_veth(engines[pb.default_host].host, link, entry.peer, pb.name)
        _check_parents(pb, engines)
        reached("play:applying")
        execute(engines, pb, report.plan, observed, applied, parallel=parallel, progress=progress)
        lifecycle.after_containers(pb, engines, say)
        if pb.services:
            say(f"waiting for the tasks of {len(pb.services)} service(s)")
            wait_for_services(engines[pb.manager].client, pb)
        finished = True
        mark = report.timed("apply", mark)
        names = _inspected(engines, pb, parallel)
        say(f"verifying {len(pb.expect)} expectation(s)")
        reached("play:verifying")
        if pb.expect:  # the expectation handlers and what they read: imported only when there are some
            from dockerctl.prove.expectations import evaluate

            report.checks = evaluate(engines, pb, names)
        mark = report.timed("verify", mark)
    except (KeyboardInterrupt, Interrupted) as exc:
        interrupted, failure = True, exc
        raise
    except Exception as exc:
        failure = exc
        err = translate(exc, f"play {pb.name}")
        if isinstance(err, EngineUnavailable) and err.where is None:
            raise EngineUnavailable(
                f"the engine at {_which(exc, engines, engine)} went away during `play {path}`: {_made(applied)}",
                hint="start it again and re-run play (it converges), or `dockerctl down` to remove the lab",
            ) from None
        if err is exc:
            raise
        raise err from exc
    finally:
        left = f"lab {pb.name} was kept (--keep)"  # what a signal's message says of the lab
        cleanup_error: DockerctlError | OSError | None = None
        try:
            with shielded():  # a second Ctrl-C or SIGTERM waits until the lab is removed
                try:
                    if not keep:
                        say("tearing down")
                        reached("play:tearing-down")
                        lifecycle.lab_down(
                            engine, engines, pb.name, order,
                            joined=joined, settle=failure is not None, keep_pool=bool(kept_pool),
                        )  # fmt: skip
                        left = f"lab {pb.name} was removed"
                        report.timed("tear down", mark)
                    elif not finished and interrupted:
                        roll_back(
                            engines, applied
                        )  # Ctrl-C: what this run made goes; a failure under --keep stays
                        left = "what this run had made was removed"
                except (DockerctlError, OSError) as exc:
                    cleanup_error = exc
                    left = f"removing lab {pb.name} failed ({exc}): `dockerctl down --lab {pb.name}` removes the rest"
            if cleanup_error is not None and failure is None:
                raise translate(cleanup_error, f"tear down lab {pb.name}") from cleanup_error
            # else the first failure is what the user needs to see; the lab stays for `dockerctl down`
        except Interrupted as stop:  # delivered once the tear-down was done
            stop.outcome = stop.outcome or left
            raise
        finally:
            _close(engines, engine)
            if isinstance(failure, Interrupted) and failure.outcome is None:
                failure.outcome = left
    return report


def _hosts_up_now(lab: str, local: Engine) -> dict[str, Engine]:
    """The engines of the lab's hosts that are up now (none when the lab has no record of its hosts)."""
    from dockerctl.fabric import labhosts

    up = labhosts.load(lab)
    return lifecycle.reconnect(up, local) if up else {}


def _close(engines: dict[str, Engine], local: Engine) -> None:
    """The lab hosts' engines closed; `local` stays open (a lab without hosts has only it: nothing to
    close, and the lab-host machinery is not even loaded)."""
    if any(e.client is not local.client for e in engines.values()):
        from dockerctl.fabric import labhosts

        labhosts.close_engines(engines.values(), local)


class Inspected(dict[str, Any]):
    """The lab's containers by playbook name, each inspected once: the ones the expectations name ahead,
    several at once (`prefetch`), any other on first use. The checks read this state (they run on twins
    and do not change the lab's containers); a lab without expectations inspects nothing."""

    def __init__(self, fetch: Callable[[str], Any]) -> None:
        super().__init__()
        self._fetch = fetch

    def __missing__(self, name: str) -> Any:
        self[name] = found = self._fetch(name)
        return found

    def prefetch(self, names: list[str], parallel: int) -> None:
        todo = [n for n in dict.fromkeys(names) if n not in self]
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(todo)))) as pool:
            self.update(zip(todo, pool.map(self._fetch, todo), strict=True))


def _inspected(engines: dict[str, Engine], pb: Playbook, parallel: int) -> Inspected:
    def fetch(name: str) -> Any:
        client = engines[pb.host_of(pb.containers[name])].client
        return engine_call(client.containers.get, f"{pb.name}-{name}", what=f"find container {name}")

    found = Inspected(fetch)
    found.prefetch([n for e in pb.expect for n in e.containers() if n in pb.containers], parallel)
    return found


def _check_parents(pb: Playbook, engines: dict[str, Engine]) -> None:
    """Each macvlan network's parent exists on its host (asked of that host's network stack)."""
    for name, n in pb.networks.items():
        parent = n.options.get("parent")
        if n.driver != "macvlan" or not parent:
            continue
        host = pb.host_of(n)
        if not engines[host].host.run(["ip", "link", "show", "dev", parent]).ok:
            raise InvalidInput(
                f"parent interface {parent!r} does not exist on host {host} ({engines[host].host.name})",
                where=pb.where(f"networks.{name}.options"),
            )


def _which(exc: BaseException, engines: dict[str, Engine], local: Engine) -> str:
    """The engine that went away: the one of the lab's hosts that no longer answers a ping."""
    gone = []
    for name, e in engines.items():
        try:
            e.client.ping()
        except Exception:
            gone.append(f"{e.url} (host {name})" if name != "local" else e.url)
    return " and ".join(gone) or local.url
