"""Apply a playbook's plan: images first, then removals, volumes and networks, then containers level by
level (independent containers in parallel). What this run creates is recorded, so a failure or Ctrl-C
half-way can remove exactly that.

What only a change needs (building images; creating containers, networks, volumes, services; updating
limits) is imported where it is done: an unchanged lab's re-apply only lists and compares (issue 38)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from dockerctl.apply.containers import ensure_image_local
from dockerctl.apply.plan import ENTRY, Change, Observed, entry_json
from dockerctl.engines import asked_records
from dockerctl.engines.client import engine_call
from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned_filter, requested_of
from dockerctl.errors import EngineError, InvalidInput
from dockerctl.spec.models import Limits
from dockerctl.spec.playbook import Playbook

Progress = Callable[[str], None]


def recorded_asked(container: Any) -> dict[str, Any]:
    """What was last asked of a lab container: its update record, else its creation label."""
    record = asked_records.load(container.id)
    return record if record is not None else requested_of(container.labels)


def _short(lab: str, name: str) -> str:
    return name[len(lab) + 1 :] if name.startswith(f"{lab}-") else name


def observe_lab(
    client: docker.DockerClient, lab: str, host: str = "local", out: Observed | None = None
) -> Observed:
    """One labelled list call per kind (no inspect per container), on one host's engine, merged into
    `out`: each entry records the host it was found on."""
    filters = owned_filter(lab)
    out = out if out is not None else Observed()
    for c in engine_call(
        client.containers.list, all=True, sparse=True, filters=filters, what="list containers"
    ):
        name = _short(lab, (c.attrs.get("Names") or [c.id])[0].lstrip("/"))
        if (c.attrs.get("Labels") or {}).get(ENTRY) is None:
            continue  # a service's task container: the service owns it
        out.containers[name] = {
            "host": host,
            "id": c.id,
            "labels": c.attrs.get("Labels") or {},
            "state": c.attrs.get("State"),
            "asked": asked_records.load(c.id),
        }
    for n in engine_call(client.networks.list, filters=filters, what="list networks"):
        # an overlay shows on every host a container of it runs on: the manager's (observed first) counts
        out.networks.setdefault(
            _short(lab, n.name), {"host": host, "id": n.id, "labels": n.attrs.get("Labels") or {}}
        )
    for v in engine_call(client.volumes.list, filters=filters, what="list volumes"):
        if not v.name.startswith(f"{lab}-"):
            continue  # an anonymous volume of one of the lab's containers: it goes with its container
        out.volumes[_short(lab, v.name)] = {"host": host, "id": v.name, "labels": v.attrs.get("Labels") or {}}
    if swarm_manager(client):
        for svc in engine_call(client.services.list, filters=filters, what="list services"):
            labels = (svc.attrs.get("Spec") or {}).get("Labels") or {}
            out.services[_short(lab, svc.name)] = {"host": host, "id": svc.id, "labels": labels}
    return out


def swarm_manager(client: docker.DockerClient) -> bool:
    info = engine_call(client.info, what="read the engine info")
    return bool((info.get("Swarm") or {}).get("ControlAvailable"))


def observe_hosts(engines: dict[str, Engine], lab: str, order: list[str]) -> Observed:
    """The lab's resources on every host (the swarm manager, the first, before the others)."""
    out = Observed()
    for name in order:
        observe_lab(engines[name].client, lab, name, out)
    return out


def image_tags(pb: Playbook) -> dict[str, str]:
    return {name: f"dockerctl/pb-{pb.name}-{name}:latest" for name in pb.images}


def build_images(
    client: docker.DockerClient, pb: Playbook, base_dir: Path, progress: Progress | None = None
) -> None:
    """Each image from its directory (relative to the playbook); FROM must be local: pull=False."""
    if not pb.images:
        return
    import io
    import tarfile

    from dockerctl.apply.images import build_image

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
    # (kind, engine id or name, host) made by this run
    created: list[tuple[str, str, str]] = field(default_factory=list)
    done: list[Change] = field(default_factory=list)
    in_progress: set[str] = field(default_factory=set)  # "kind name" being made right now


def _remove(client: docker.DockerClient, kind: str, ident: str) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        if kind == "container":
            client.containers.get(ident).remove(force=True, v=True)
            asked_records.forget(ident)
        elif kind == "network":
            client.networks.get(ident).remove()
        elif kind == "service":
            client.services.get(ident).remove()
        else:
            client.volumes.get(ident).remove()


PARALLEL = 8  # containers created at once by default: measured, more gains nothing (the engine is busy)


def execute(
    engines: dict[str, Engine],
    pb: Playbook,
    changes: list[Change],
    observed: Observed,
    applied: Applied,
    *,
    parallel: int = PARALLEL,
    progress: Progress | None = None,
) -> None:
    """Carry out `changes`, each on its host's engine, recording in `applied` (the caller's) what was
    made — also when it fails."""
    todo = [ch for ch in changes if ch.action != "noop"]
    if not todo:
        return  # an unchanged lab: nothing to check, remove or make
    from dockerctl.apply.services import create_service
    from dockerctl.apply.topology import create_container, create_network, create_volume
    from dockerctl.apply.update import apply_update

    lab = pb.name
    tags = image_tags(pb)
    say = progress or (lambda _msg: None)
    step = 0

    def tick(ch: Change) -> None:
        nonlocal step
        step += 1
        say(f"[{step}/{len(todo)}] {ch.action} {ch.kind} {ch.name}")

    # 0. each image checked once per engine: a missing one is one clear error before anything is made
    for host, image in sorted(
        {(pb.host_of(pb.containers[ch.name]), tags.get(pb.containers[ch.name].image) or pb.containers[ch.name].image)
         for ch in todo if ch.kind == "container" and ch.action in ("create", "recreate")}
    ):  # fmt: skip
        ensure_image_local(engines[host].client, image)
    # 1. out with the old: services and containers first (they hold networks and volumes), then networks
    for kind, present in (
        ("service", observed.services),
        ("container", observed.containers),
        ("network", observed.networks),
    ):
        for ch in todo:
            if ch.kind == kind and ch.action in ("recreate", "remove"):
                _remove(engines[present[ch.name]["host"]].client, kind, present[ch.name]["id"])
                if ch.action == "remove":
                    tick(ch)
                    applied.done.append(ch)
    # 2. volumes and networks, each on its host
    for ch in todo:
        if ch.kind == "volume" and ch.action == "create":
            tick(ch)
            v = pb.volumes[ch.name]
            # a volume of the storage pool: known to every host's engine (one volume, the same data)
            hosts = pb.storage.hosts if pb.on_pool(v) and pb.storage else [pb.host_of(v)]
            for host in hosts:
                vol = create_volume(engines[host].client, lab, ch.name, v, {ENTRY: entry_json(v)})
                applied.created.append(("volume", str(vol.name), host))
            applied.done.append(ch)
        if ch.kind == "network" and ch.action in ("create", "recreate"):
            tick(ch)
            n = pb.networks[ch.name]
            host = pb.host_of(n)
            net = create_network(engines[host], lab, ch.name, n, {ENTRY: entry_json(n)})
            applied.created.append(("network", str(net.id), host))
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
            engine = engines[pb.host_of(c)]
            client = engine.client
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
                check_image=False,
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
                    applied.created.append(("container", ident, pb.host_of(pb.containers[ch.name])))
            if errors:
                raise errors[0]
    # 4. services, on the swarm's manager
    for ch in todo:
        if ch.kind == "service" and ch.action in ("create", "recreate"):
            tick(ch)
            svc = pb.services[ch.name]
            made = create_service(
                engines[pb.manager].client,
                pb,
                ch.name,
                svc,
                {ENTRY: entry_json(svc)},
                image=tags.get(svc.image),
            )
            applied.created.append(("service", str(made.id), pb.manager))
            applied.done.append(ch)


def roll_back(engines: dict[str, Engine], applied: Applied) -> None:
    """Remove what this run created, newest first (containers before their networks and volumes)."""
    for kind, ident, host in reversed(applied.created):
        _remove(engines[host].client, kind, ident)


def wait_for_services(client: docker.DockerClient, pb: Playbook, timeout: float = 180) -> None:
    """Until every service of the lab has its replicas running (or say which did not, and why)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for name, svc in pb.services.items():
            found = engine_call(client.services.get, f"{pb.name}-{name}", what=f"find service {name}")
            tasks = found.tasks(filters={"desired-state": "running"})
            running = [t for t in tasks if (t.get("Status") or {}).get("State") == "running"]
            if len(running) < svc.replicas:
                why = {
                    str((t.get("Status") or {}).get("Err") or (t.get("Status") or {}).get("State"))
                    for t in tasks
                }
                pending.append(
                    f"{name}: {len(running)}/{svc.replicas} running ({', '.join(sorted(why)) or 'no task yet'})"
                )
        if not pending:
            return
        if time.monotonic() > deadline:
            raise EngineError(f"services did not start within {timeout:g}s: {'; '.join(pending)}")
        time.sleep(0.5)
