from __future__ import annotations

import typer

from dockerctl.cli import limit_flags as lf
from dockerctl.cli import render
from dockerctl.cli._context import engine
from dockerctl.spec.models import ContainerSpec, Limits
from dockerctl.workflows import run_container


def run(
    ctx: typer.Context,
    image: str = typer.Argument(..., help="A locally present image (never pulled), e.g. dockerctl/base."),
    command: list[str] | None = typer.Argument(
        None, help="Command and arguments (after `--` if they have dashes)."
    ),
    name: str | None = typer.Option(None, "--name", help="Container name."),
    memory: lf.Memory = None,
    memory_swap: lf.MemorySwap = None,
    cpu_shares: lf.CpuShares = None,
    cpus: lf.Cpus = None,
    cpuset_cpus: lf.CpusetCpus = None,
    pids_limit: lf.PidsLimit = None,
    blkio_weight: lf.BlkioWeight = None,
    device_read_bps: lf.DeviceReadBps = None,
    device_write_bps: lf.DeviceWriteBps = None,
    device_read_iops: lf.DeviceReadIops = None,
    device_write_iops: lf.DeviceWriteIops = None,
    lab: str | None = typer.Option(None, "--lab", help="Group the container under a lab name (for cleanup)."),
    verify: bool = typer.Option(
        False, "--verify", help="Read every limit back from the container's cgroups."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create and start a labelled container, like `docker run -d`, and optionally prove its limits.

    With --verify each limit is read back from the container's own cgroup files (found through
    /proc/<pid>/cgroup) and compared with what was asked; exit code 1 when any limit is not
    enforced — including one the engine accepted but this kernel cannot enforce (--blkio-weight here).

    Examples:

      dockerctl run --name web -m 100M --verify dockerctl/base

      dockerctl run -c 512 --cpus 1.5 --pids-limit 50 --device-write-bps /dev/vda:30mb --verify dockerctl/base

      dockerctl run --name db -m 1g --memory-swap 1g --verify --json dockerctl/base -- sleep 3600
    """
    limits = Limits(**lf.collect(ctx.params))
    spec = ContainerSpec(image=image, command=command or [], name=name, limits=limits, lab=lab)
    with engine(ctx) as client:
        report = run_container(client, spec, verify=verify)

    def show() -> None:
        render.out.print(f"started {report.name} ({report.container_id[:12]}) from {report.image}")
        if verify:
            render.limits_report(report)

    render.finish(report, json_out, show)
