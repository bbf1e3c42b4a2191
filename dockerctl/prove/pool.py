"""Proofs of storage across hosts (seed V1, V2, S3): containers on different hosts of a lab's GlusterFS
pool write and read one volume; each reads its own mount table (`/proc/self/mountinfo`) so the check
says what the kernel mounted there, not what the engine reports. Registered with the expectations."""

from __future__ import annotations

import time
import uuid
from typing import Any

from docker.models.containers import Container

from dockerctl.engines.client import engine_call
from dockerctl.fabric import gluster, labhosts, simhost
from dockerctl.fabric.netns import record_of
from dockerctl.hosts import LocalHost
from dockerctl.observe.mounts import parse_mountinfo
from dockerctl.prove.registry import Context, handles
from dockerctl.prove.twins import Finished
from dockerctl.spec.models import Limits
from dockerctl.spec.mounts import MountSpec
from dockerctl.spec.storage import volume_size_gb
from dockerctl.verify import storage
from dockerctl.verify.verdict import Check

TARGET = "/v"
HEAL_WAIT = 45  # seconds a brick that came back may take to heal
_MOUNTINFO = f"grep ' {TARGET} ' /proc/self/mountinfo"


def _run(ctx: Context, host: str, volume: str, script: str) -> Finished:
    """One container on `host` with the volume at /v runs `script`, then is removed (gone, not stopped)."""
    mount = (MountSpec(kind="volume", source=volume, target=TARGET),)
    twins = ctx.twins_on(host)
    c: Container = twins.start(Limits(), ["sh", "-c", script], mounts=mount)
    try:
        result = c.wait(timeout=120)
        logs = c.logs(stdout=True, stderr=True).decode(errors="replace")
    finally:
        engine_call(c.remove, force=True, what=f"remove proof container {c.name}")
    return Finished(int(result.get("StatusCode", -1)), False, logs)


def mount_of(output: str) -> tuple[str, str]:
    """(fstype, source) of the /v line of a mountinfo dump in `output` ("", "" if there is none); the
    other lines of `output` (what the command printed besides) are passed over."""
    for line in output.splitlines():
        try:
            mounts = parse_mountinfo(line)
        except ValueError:
            continue
        for m in mounts:
            if m.mount_point == TARGET:
                return m.fstype, m.source
    return "", ""


def _pool(ctx: Context) -> gluster.Pool:
    pool = gluster.load(ctx.playbook.name)
    if pool is None:
        raise RuntimeError(f"lab {ctx.playbook.name} has no storage pool up")
    return pool


@handles("shared")
def _shared(body: Any, ctx: Context) -> list[Check]:
    vol = f"{ctx.playbook.name}-{body.volume}"
    token = uuid.uuid4().hex[:12]
    path = f"{TARGET}/across-{token}.txt"
    wrote = _run(ctx, body.source, vol, f"echo {token} > {path} && {_MOUNTINFO}")
    read = _run(ctx, body.to, vol, f"cat {path}; {_MOUNTINFO}")
    later = _run(ctx, body.source, vol, f"cat {path}; rm -f {path}")
    return [
        storage.shared(
            f"volume {body.volume}: written on {body.source}, read on {body.to}",
            token,
            (wrote.exit_code, mount_of(wrote.output)),
            (read.exit_code, read.output, mount_of(read.output)),
            hosts=(body.source, body.to),
            target=TARGET,
            evidence=f"a container on each host; /proc/self/mountinfo line of {TARGET} in each",
        ),
        storage.still_holds(
            f"volume {body.volume}: after both containers were removed",
            token,
            later.exit_code,
            later.output,
            f"a third container on {body.source}, after the writer and the reader were removed",
            first_line=True,
        ),
    ]


@handles("capacity")
def _capacity(body: Any, ctx: Context) -> list[Check]:
    entry = ctx.playbook.volumes[body.volume]
    size_gb = volume_size_gb(entry.options)
    host = ctx.playbook.host_of(entry)
    size_mb = size_gb * 1024
    count = int(size_mb * 1.2) + 1
    script = (
        f"df -Pk {TARGET} | tail -1; dd if=/dev/zero of={TARGET}/.fill bs=1M count={count} 2>&1 | grep -i error; "
        f"rm -f {TARGET}/.fill"
    )
    done = _run(ctx, host, f"{ctx.playbook.name}-{body.volume}", script)
    lines = done.output.splitlines()
    total_mb = 0.0
    if lines and len(lines[0].split()) >= 2 and lines[0].split()[1].isdigit():
        total_mb = int(lines[0].split()[1]) / 1024  # df -P: one line, 1024-blocks in the second column
    refused = "No space left on device" in done.output
    return [
        storage.capacity(
            f"volume {body.volume} (size={entry.options.get('size', size_gb)} GB)",
            size_mb,
            count,
            total_mb,
            refused,
            f"df -Pk {TARGET} and dd of {count} MB in a container on {host}",
        )
    ]


def _brick_pids(pool: gluster.Pool, host: str, volume: str) -> list[int]:
    brick = str(pool.brick(host, volume))
    return [
        pid
        for pid, argv in gluster.pool_processes(pool).items()
        if argv and argv[0].endswith("glusterfsd") and brick in argv
    ]


@handles("replica")
def _replica(body: Any, ctx: Context) -> list[Check]:
    pool = _pool(ctx)
    vol = f"{ctx.playbook.name}-{body.volume}"
    token = uuid.uuid4().hex[:12]
    before = _run(ctx, body.up, vol, f"echo {token} > {TARGET}/before-{token}.txt")
    rec = labhosts.load(ctx.playbook.name)
    if rec is None or body.down not in rec.hosts:
        raise RuntimeError(f"host {body.down} is not up")
    sim = labhosts.sim_engine(rec.hosts[body.down])
    down_engine = ctx.engines[body.down]
    running = [
        c.name
        for c in engine_call(
            down_engine.client.containers.list,
            filters={"label": f"io.dockerctl.lab={ctx.playbook.name}"},
            what=f"list the lab's containers on {body.down}",
        )
    ]
    bricks = _brick_pids(pool, body.down, vol)
    simhost.stop(sim)
    LocalHost().end_all(bricks)
    try:
        online = gluster.gluster(pool, body.up, "volume", "status", vol, "detail").stdout
        during = _run(
            ctx,
            body.up,
            vol,
            f"cat {TARGET}/before-{token}.txt && echo {token}-during > {TARGET}/during-{token}.txt && "
            f"cat {TARGET}/during-{token}.txt",
        )
    finally:
        ns = record_of(body.down)
        if ns is not None:
            simhost.start(sim, ns)
        gluster.gluster(pool, body.up, "volume", "start", vol, "force")
        for name in running:
            engine_call(down_engine.client.containers.get(name).start, what=f"start {name} again")
    healed_file = pool.brick(body.down, vol) / f"during-{token}.txt"

    def healed() -> bool:  # entry heal makes the file, data heal fills it: wait for both
        try:
            return healed_file.read_text().strip() == f"{token}-during"
        except OSError:
            return False

    deadline = time.monotonic() + HEAL_WAIT
    while not healed() and time.monotonic() < deadline:
        # once the brick is back online, ask for an index heal (the self-heal daemon's own sweep
        # comes only every 10 minutes); again until the file is there
        gluster.gluster(pool, body.up, "volume", "heal", vol, timeout=20)
        for _ in range(6):
            if healed():
                break
            time.sleep(0.5)
    was_healed = healed()
    _run(ctx, body.up, vol, f"rm -f {TARGET}/before-{token}.txt {TARGET}/during-{token}.txt")
    return [
        storage.replica_serves(
            body.volume,
            body.down,
            body.up,
            offline=_brick_offline(online, pool.host(body.down).address),
            exits_ok=before.exit_code == 0 and during.exit_code == 0,
            lines=during.output.split(),
            token=token,
            evidence=f"simulated host {body.down}'s dockerd and glusterfsd ended; `gluster volume status` on {body.up}",
        ),
        storage.healed(
            body.volume, body.down, was_healed, HEAL_WAIT,
            f"{healed_file} on {body.down}'s brick, after its engine and brick came back",
        ),
    ]  # fmt: skip


def _brick_offline(detail: str, address: str) -> bool:
    """In `gluster volume status VOL detail`, the brick on `address` says Online: N."""
    block = ""
    for part in detail.split("Brick                :")[1:]:
        if part.strip().startswith(f"Brick {address}:"):
            block = part
    for line in block.splitlines():
        if line.strip().startswith("Online"):
            return line.split(":", 1)[1].strip() == "N"
    return False
