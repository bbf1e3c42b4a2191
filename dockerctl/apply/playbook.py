"""Apply a playbook's plan: images first, then removals, volumes and networks, then containers level by
level (independent containers in parallel). What this run creates is recorded, so a failure or Ctrl-C
half-way can remove exactly that."""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from dockerctl.apply.images import build_image
from dockerctl.apply.plan import ENTRY, Change, Observed, entry_json
from dockerctl.apply.topology import create_container, create_network, create_volume
from dockerctl.apply.update import apply_update
from dockerctl.engines import asked_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned_filter, requested_of
from dockerctl.errors import InvalidInput
from dockerctl.spec.models import Limits
from dockerctl.spec.playbook import Playbook

Progress = Callable[[str], None]


def recorded_asked(container: Any) -> dict[str, Any]:
    """What was last asked of a lab container: its update record, else its creation label."""
    record = asked_records.load(container.id)
    return record if record is not None else requested_of(container.labels)


def _short(lab: str, name: str) -> str:
    return name[len(lab) + 1 :] if name.startswith(f"{lab}-") else name


def observe_lab(client: docker.DockerClient, lab: str) -> Observed:
    """One labelled list call per kind: no inspect per container."""
    filters = owned_filter(lab)
    out = Observed()
    for c in engine_call(
        client.containers.list, all=True, sparse=True, filters=filters, what="list containers"
    ):
        name = _short(lab, (c.attrs.get("Names") or [c.id])[0].lstrip("/"))
        out.containers[name] = {
            "id": c.id,
            "labels": c.attrs.get("Labels") or {},
            "state": c.attrs.get("State"),
            "asked": asked_records.load(c.id),
        }
    for n in engine_call(client.networks.list, filters=filters, what="list networks"):
        out.networks[_short(lab, n.name)] = {"id": n.id, "labels": n.attrs.get("Labels") or {}}
    for v in engine_call(client.volumes.list, filters=filters, what="list volumes"):
        if not v.name.startswith(f"{lab}-"):
            continue  # an anonymous volume of one of the lab's containers: it goes with its container
        out.volumes[_short(lab, v.name)] = {"id": v.name, "labels": v.attrs.get("Labels") or {}}
    return out


def image_tags(pb: Playbook) -> dict[str, str]:
    return {name: f"dockerctl/pb-{pb.name}-{name}:latest" for name in pb.images}


def build_images(
    client: docker.DockerClient, pb: Playbook, base_dir: Path, progress: Progress | None = None
) -> None:
    """Each image from its directory (relative to the playbook); FROM must be local: pull=False."""
    for name, tag in image_tags(pb).items():
        directory = (base_dir / pb.images[name].build).resolve()
        if not (directory / "Dockerfile").is_file():
            raise InvalidInput(f"{directory} has no Dockerfile", where=f"images.{name}.build")
        if progress:
            progress(f"building image {name}")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(str(directory), arcname=".")
        buf.seek(0)
        build_image(client, tag, buf, "playbook", what=f"build image {name} from {directory}")


@dataclass
class Applied:
    created: list[tuple[str, str]] = field(default_factory=list)  # (kind, engine id or name) made by this run
    done: list[Change] = field(default_factory=list)
    in_progress: set[str] = field(default_factory=set)  # "kind name" being made right now


def _remove(client: docker.DockerClient, kind: str, ident: str) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        if kind == "container":
            client.containers.get(ident).remove(force=True, v=True)
            asked_records.forget(ident)
        elif kind == "network":
            client.networks.get(ident).remove()
        else:
            client.volumes.get(ident).remove()


def execute(
    engine: Engine,
    pb: Playbook,
    changes: list[Change],
    observed: Observed,
    applied: Applied,
    *,
    parallel: int = 4,
    progress: Progress | None = None,
) -> None:
    """Carry out `changes`, recording in `applied` (the caller's) what was made — also when it fails."""
    client = engine.client
    lab = pb.name
    tags = image_tags(pb)
    say = progress or (lambda _msg: None)
    todo = [ch for ch in changes if ch.action != "noop"]
    step = 0

    def tick(ch: Change) -> None:
        nonlocal step
        step += 1
        say(f"[{step}/{len(todo)}] {ch.action} {ch.kind} {ch.name}")

    # 1. out with the old: containers first (they hold networks and volumes), then networks
    for kind, present in (("container", observed.containers), ("network", observed.networks)):
        for ch in todo:
            if ch.kind == kind and ch.action in ("recreate", "remove"):
                _remove(client, kind, present[ch.name]["id"])
                if ch.action == "remove":
                    tick(ch)
                    applied.done.append(ch)
    # 2. volumes and networks
    for ch in todo:
        if ch.kind == "volume" and ch.action == "create":
            tick(ch)
            vol = create_volume(
                client, lab, ch.name, pb.volumes[ch.name], {ENTRY: entry_json(pb.volumes[ch.name])}
            )
            applied.created.append(("volume", str(vol.name)))
            applied.done.append(ch)
        if ch.kind == "network" and ch.action in ("create", "recreate"):
            tick(ch)
            n = pb.networks[ch.name]
            net = create_network(engine, lab, ch.name, n, {ENTRY: entry_json(n)})
            applied.created.append(("network", str(net.id)))
            applied.done.append(ch)
    # 3. containers, level by level; a level's containers in parallel
    by_name = {
        ch.name: ch for ch in todo if ch.kind == "container" and ch.action in ("create", "recreate", "update")
    }
    for level in pb.order():
        work = [by_name[n] for n in level if n in by_name]
        if not work:
            continue

        def one(ch: Change) -> tuple[Change, str | None]:
            tick(ch)
            applied.in_progress.add(f"container {ch.name}")
            done = _one(ch)  # on failure it stays "in progress": what the engine may half have
            applied.in_progress.discard(f"container {ch.name}")
            return done

        def _one(ch: Change) -> tuple[Change, str | None]:
            c = pb.containers[ch.name]
            if ch.action == "update":
                container = engine_call(
                    client.containers.get,
                    observed.containers[ch.name]["id"],
                    what=f"find container {ch.name}",
                )
                asked = c.limits(f"containers.{ch.name}").asked()
                body = dict(asked)
                if "memory" in asked and "memory_swap" not in asked:
                    body["memory_swap"] = 2 * asked["memory"]  # the playbook's state: R3 as at creation
                # record what the playbook asks, so the next plan is a no-op
                apply_update(engine, container, Limits(**recorded_asked(container)), body, record=asked)
                return ch, None
            text = entry_json(c)
            made = create_container(
                client,
                lab,
                pb,
                ch.name,
                c,
                {ENTRY: text},
                image=tags.get(c.image),
            )
            return ch, str(made.id)

        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            futures = [pool.submit(one, ch) for ch in work]
            errors: list[BaseException] = []
            for f in futures:
                try:
                    ch, ident = f.result()
                except (
                    BaseException
                ) as exc:  # collect: the others of this level still finish and are recorded
                    errors.append(exc)
                    continue
                applied.done.append(ch)
                if ident:
                    applied.created.append(("container", ident))
            if errors:
                raise errors[0]


def roll_back(client: docker.DockerClient, applied: Applied) -> None:
    """Remove what this run created, newest first (containers before their networks and volumes)."""
    for kind, ident in reversed(applied.created):
        _remove(client, kind, ident)
