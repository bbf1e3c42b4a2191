"""Expectations of mounts and volumes (seed S3, S9): a mount as the container sees it, a file's contents,
data that outlives its writer, and what `rm -v` removes. Handlers of prove/expectations.py's registry."""

from __future__ import annotations

from typing import Any

from dockerctl.checks import mounts
from dockerctl.prove.registry import Context, handles
from dockerctl.spec.models import Limits
from dockerctl.spec.mounts import MountSpec
from dockerctl.verify import storage
from dockerctl.verify.verdict import Check


def write_argv(text: str, path: str) -> list[str]:
    """A container's command writing `text` (and a newline) to `path`: both from the playbook, so both go
    as the script's positional arguments — data, never spliced into the script."""
    return ["sh", "-c", 'printf \'%s\\n\' "$1" > "$2"', "sh", text, path]


@handles("mount")
def _mount(body: Any, ctx: Context) -> list[Check]:
    return [
        mounts.check_mount(
            ctx.engine_of(body.container).host,
            ctx[body.container],
            body.path,
            read_only=body.read_only,
            fstype=body.fstype,
        )
    ]


@handles("file")
def _file(body: Any, ctx: Context) -> list[Check]:
    c = ctx[body.container]
    result = c.exec_run(["cat", "--", body.path])  # the path is an argument, never shell text
    text = result.output.decode(errors="replace")
    return [
        storage.file_contains(
            f"{c.name}:{body.path}", body.contains, result.exit_code, text, f"cat {body.path} inside {c.name}"
        )
    ]


@handles("survives")
def _survives(body: Any, ctx: Context) -> list[Check]:
    mount = (MountSpec(kind="volume", source=f"{ctx.playbook.name}-{body.volume}", target="/m"),)
    target = f"/m/{body.path.lstrip('/')}"
    twins = ctx.twins_on(ctx.playbook.host_of(ctx.playbook.volumes[body.volume]))
    writer = twins.start(Limits(), write_argv(body.contains, target), mounts=mount)
    writer.wait(timeout=30)
    writer.remove(force=True)  # the container is gone …
    done = twins.run(Limits(), ["cat", "--", target], mounts=mount)  # … a new one reads what it wrote
    return [
        storage.still_holds(
            f"volume {body.volume} after its writer was removed", body.contains, done.exit_code, done.output,
            f"write in one container, remove it, cat {target} in another",
        )
    ]  # fmt: skip


@handles("rm_volumes")
def _rm_volumes(body: Any, ctx: Context) -> list[Check]:
    named = f"{ctx.playbook.name}-{body.volume}"
    host = ctx.playbook.host_of(ctx.playbook.volumes[body.volume])
    twin = ctx.twins_on(host).start(
        Limits(),
        ["sleep", "30"],
        mounts=(
            MountSpec(kind="volume", source=named, target="/named"),
            MountSpec(kind="anonymous", source=None, target="/anon"),
        ),
    )
    anon = next(m["Name"] for m in twin.attrs["Mounts"] if m["Destination"] == "/anon")
    twin.remove(force=True, v=True)  # docker rm -v
    names = {v.name for v in ctx.engines[host].client.volumes.list()}
    return storage.removed_with_container(anon, named, body.volume, names)
