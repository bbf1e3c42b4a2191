from __future__ import annotations

import typer

from dockerctl.cli import limit_flags as lf
from dockerctl.cli import render
from dockerctl.cli._context import engine, lab_name
from dockerctl.cli.output import report
from dockerctl.ops.limits import run_container
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.models import ContainerSpec, Limits
from dockerctl.spec.mounts import parse_mount_flag, parse_volume_flag
from dockerctl.spec.network import parse_publish


@lf.limit_options(before="volume")
@report
def run(
    ctx: typer.Context,
    image: str = typer.Argument(..., help="A locally present image (never pulled), e.g. dockerctl/base."),
    command: list[str] | None = typer.Argument(
        None, help="Command and arguments: everything after IMAGE, dashes included (as with docker run)."
    ),
    name: str | None = typer.Option(None, "--name", help="Container name."),
    volume: list[str] | None = typer.Option(
        None,
        "--volume",
        "-v",
        help="HOST:CTR[:ro], NAME:CTR[:ro] or CTR (anonymous volume); repeatable (S3-S5).",
    ),
    mount: list[str] | None = typer.Option(
        None, "--mount", help="type=bind|volume,source=…,target=…[,readonly]; repeatable."
    ),
    volumes_from: list[str] | None = typer.Option(
        None, "--volumes-from", help="Mount all volumes of CONTAINER[:ro|rw]; repeatable (S8)."
    ),
    allow_engine_socket: bool = typer.Option(
        False,
        "--allow-engine-socket",
        help="Allow mounting the engine's socket (gives the container the host).",
    ),
    network: str | None = typer.Option(
        None, "--network", help="none | host | bridge | NAME | container:NAME (seed N2-N9, C3)."
    ),
    ip: str | None = typer.Option(
        None, "--ip", help="Static IPv4, only on a network created with --subnet (N8)."
    ),
    hostname: str | None = typer.Option(
        None, "--hostname", "-h", help="Hostname (seed K4; default: short id)."
    ),
    publish: list[str] | None = typer.Option(
        None, "--publish", "-p", help="[IP:][HOST_PORT:]PORT[/tcp|udp]; repeatable (seed O2)."
    ),
    lab: str | None = typer.Option(
        None, "--lab", callback=lab_name, help="Group the container under a lab name (for cleanup)."
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Read every limit back from the container's cgroups."
    ),
    json_out: bool = False,
) -> None:
    """Create and start a labelled container, like `docker run -d`, and optionally prove its limits.

    As with `docker run`, options go before IMAGE: everything after it is the container's command
    (`dockerctl run -m 64m dockerctl/base sh -c 'echo hi'`). A `--` right after IMAGE is dropped.

    With --verify each limit is read back from the container's own cgroup files (found through
    /proc/<pid>/cgroup) and compared with what was asked; exit code 1 when any limit is not
    enforced — including one the engine accepted but this kernel cannot enforce (--blkio-weight here).

    Examples:

      dockerctl run --name web -m 100M --verify dockerctl/base

      dockerctl run -c 512 --cpus 1.5 --pids-limit 50 --device-write-bps /dev/vda:30mb --verify dockerctl/base

      dockerctl run --name db -m 1g --memory-swap 1g --verify --json dockerctl/base -- sleep 3600

      dockerctl run --name app -v appdata:/data -v /srv/conf:/conf:ro --volumes-from store dockerctl/base
    """
    argv = list(command or [])
    if argv[:1] == ["--"]:
        argv = argv[1:]  # the separator older scripts put after IMAGE
    limits = Limits(**limit_fields(ctx.params))
    mounts = [parse_volume_flag(v) for v in volume or []] + [parse_mount_flag(m) for m in mount or []]
    spec = ContainerSpec(
        image=image,
        command=argv,
        name=name,
        limits=limits,
        lab=lab,
        mounts=tuple(mounts),
        volumes_from=tuple(volumes_from or []),
        network=network,
        ip=ip,
        hostname=hostname,
        publish=tuple(parse_publish(p) for p in publish or []),
    )
    with engine(ctx) as eng:
        report = run_container(eng, spec, verify=verify, allow_engine_socket=allow_engine_socket)

    def show() -> None:
        render.out.print(f"started {report.name} ({report.container_id[:12]}) from {report.image}")
        if verify:
            render.limits_report(report)

    render.finish(report, json_out, show, unreachable=report.unreachable)
