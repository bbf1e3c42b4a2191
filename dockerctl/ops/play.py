"""`play`, `down`: a playbook's lab brought up on an engine, verified, reported, torn down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerctl.apply.cleanup import Removed, remove_owned
from dockerctl.apply.containers import ensure_image_local
from dockerctl.apply.plan import Change
from dockerctl.apply.plan import plan as make_plan
from dockerctl.apply.playbook import Applied, build_images, execute, observe_lab, roll_back
from dockerctl.apply.swarm import swarm_init, swarm_leave, swarm_state
from dockerctl.engines import lab_records
from dockerctl.engines.client import engine_call, translate
from dockerctl.engines.engine import Engine
from dockerctl.errors import DockerctlError, EngineUnavailable
from dockerctl.fabric.hostlinks import ensure_veth, remove_lab_links
from dockerctl.prove.expectations import evaluate
from dockerctl.spec.models import BASE_IMAGE
from dockerctl.spec.names import check_lab_name
from dockerctl.spec.playbook import load_playbook
from dockerctl.verify.checks import Check

Progress = Callable[[str], None]


@dataclass
class PlayReport:
    playbook: str
    lab: str
    plan: list[Change] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    dry_run: bool = False
    kept: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and (self.dry_run or all(c.ok for c in self.checks))

    def to_dict(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "lab": self.lab,
            "dry_run": self.dry_run,
            "kept": self.kept,
            "ok": self.ok,
            "error": self.error,
            "plan": [c.to_dict() for c in self.plan],
            "checks": [c.to_dict() for c in self.checks],
        }


def _made(applied: Applied) -> str:
    counts: dict[str, int] = {}
    for kind, _ in applied.created:
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
    parallel: int = 4,
    progress: Progress | None = None,
) -> PlayReport:
    """validate → plan → apply → verify → (tear down unless keep). Ctrl-C half-way removes what this run
    created; a failure half-way does too, unless --keep, which leaves it to be looked at. An engine that
    goes away half-way is one sentence (what had been made), never a traceback."""
    pb = load_playbook(path)  # every input error surfaces here, before the engine
    client = engine.client
    report = PlayReport(str(path), pb.name, dry_run=dry_run, kept=keep)
    observed = observe_lab(client, pb.name)
    report.plan = make_plan(pb, observed)
    if dry_run:
        return report
    ensure_image_local(client, BASE_IMAGE)
    say = progress or (lambda _msg: None)
    applied = Applied()
    finished = interrupted = joined_swarm = False
    failure: BaseException | None = None
    try:
        if pb.swarm and swarm_state(client) != "active":
            say("joining swarm mode for the overlay networks")
            swarm_init(client, "127.0.0.1")
            joined_swarm = True
            lab_records.save(pb.name, engine.url, {"joined_swarm": True})  # `down` leaves it again
        for link, entry in pb.host_links.items():
            ensure_veth(engine.host, link, entry.peer, pb.name)
        build_images(client, pb, path.parent, progress)
        execute(engine, pb, report.plan, observed, applied, parallel=parallel, progress=progress)
        finished = True
        names = {
            n: engine_call(client.containers.get, f"{pb.name}-{n}", what=f"find container {n}")
            for n in pb.containers
        }
        say(f"verifying {len(pb.expect)} expectation(s)")
        report.checks = evaluate(engine, pb, names)
    except KeyboardInterrupt as exc:
        interrupted, failure = True, exc
        raise
    except Exception as exc:
        failure = exc
        err = translate(exc, f"play {pb.name}")
        if isinstance(err, EngineUnavailable):
            raise EngineUnavailable(
                f"the engine at {engine.url} went away during `play {path}`: {_made(applied)}",
                hint="start it again and re-run play (it converges), or `dockerctl down` to remove the lab",
            ) from None
        if err is exc:
            raise
        raise err from exc
    finally:
        try:
            if not keep:
                say("tearing down")
                remove_owned(client, lab=pb.name, volumes=True)
                remove_lab_links(engine.host, pb.name)
                if joined_swarm:
                    swarm_leave(client, force=True)
                    lab_records.forget(pb.name, engine.url)
            elif not finished and interrupted:
                roll_back(client, applied)  # Ctrl-C: what this run made goes; a failure under --keep stays
        except (DockerctlError, OSError) as cleanup_error:
            if failure is None:
                raise translate(cleanup_error, f"tear down lab {pb.name}") from cleanup_error
            # the first failure is what the user needs to see; the lab stays for `dockerctl down`
    return report


def down(engine: Engine, lab: str, *, keep_volumes: bool = False) -> Removed:
    check_lab_name(lab)
    removed = remove_owned(engine.client, lab=lab, volumes=not keep_volumes)
    remove_lab_links(engine.host, lab)  # host links made by this lab, found by their alias
    if lab_records.load(lab, engine.url).get("joined_swarm") and swarm_state(engine.client) == "active":
        swarm_leave(engine.client, force=True)  # the lab joined swarm mode (play --keep): leave it
    lab_records.forget(lab, engine.url)
    return removed
