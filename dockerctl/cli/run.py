from __future__ import annotations

from typing import Any

import typer

from dockerctl.cli import limit_flags as lf
from dockerctl.cli import render
from dockerctl.cli._context import client_of
from dockerctl.errors import ExitCode, InvalidInput
from dockerctl.spec.models import ContainerSpec, Limits
from dockerctl.workflows import run_container


def build_spec(
    image: str, command: list[str], name: str | None, limits: dict[str, Any], lab: str | None
) -> ContainerSpec:
    """Flags → a validated spec; every error names the flag it comes from."""
    try:
        return ContainerSpec(image=image, command=command, name=name, limits=Limits(**limits), lab=lab)
    except InvalidInput as exc:
        raise lf.blame_flag(exc) from None


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
    limits = lf.collect(
        memory=memory,
        memory_swap=memory_swap,
        cpu_shares=cpu_shares,
        cpus=cpus,
        cpuset_cpus=cpuset_cpus,
        pids_limit=pids_limit,
        blkio_weight=blkio_weight,
        device_read_bps=device_read_bps,
        device_write_bps=device_write_bps,
        device_read_iops=device_read_iops,
        device_write_iops=device_write_iops,
    )
    spec = build_spec(image, command or [], name, limits, lab)
    client = client_of(ctx)
    try:
        try:
            report = run_container(client, spec, verify=verify)
        except InvalidInput as exc:
            raise lf.blame_flag(exc) from None
    finally:
        client.close()
    if json_out:
        render.emit_json(report.to_dict())
    else:
        render.out.print(f"started {report.name} ({report.container_id[:12]}) from {report.image}")
        if verify:
            render.limits_report(report)
    if verify and not report.ok:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))
