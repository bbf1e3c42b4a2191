"""`dockerctl hosts up|ls|down`: a playbook's hosts — simulated ones (a network namespace on this
machine with its own dockerd, on the lab switch), remote engines and this one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dockerctl.cli import render
from dockerctl.cli._args import RemoveVolumes, group
from dockerctl.cli._context import LabOfFile, PurgeGuestImage, engine, lab_name
from dockerctl.cli.output import report_command
from dockerctl.errors import InvalidInput
from dockerctl.ops.down import down
from dockerctl.ops.hosts import HostsReport, hosts_ls, hosts_up
from dockerctl.spec.playbook import load_playbook

app = group("A lab's hosts: up, ls, down.")


def _table(report: HostsReport) -> None:
    table = render.fold_table(
        ("lab", "host", "kind", "engine URL", "switch address", "engine", "swarm"), title="lab hosts"
    )
    for r in report.rows:
        table.add_row(
            escape(r.lab), escape(r.name), r.kind, escape(r.url), r.address, escape(r.engine), r.swarm
        )
    render.out.print(table if report.rows else "no lab has hosts up")


@report_command(app, "up")
def up(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A playbook with a hosts: section."),
    json_out: bool = False,
) -> None:
    """Bring a playbook's hosts up and keep them: the lab switch, each simulated host (its namespace and
    dockerd, the lab's images shipped to it), remote engines checked, swarm mode if the playbook asks.
    `play` does this itself; `hosts up` is for looking around (doctor --lab-host, docker -H …) first.

    Examples:

      dockerctl hosts up playbooks/overlay-hosts.yaml

      docker -H unix:///run/dctl-ovh1.sock ps
    """
    with engine(ctx) as eng, render.status("bringing hosts up") as status:
        report = hosts_up(eng, file, progress=lambda msg: status.update(msg))
    render.finish(report, json_out, lambda: _table(report))


@report_command(app, "ls")
def ls(
    lab: str | None = typer.Option(None, "--lab", callback=lab_name, help="Only this lab's hosts."),
    json_out: bool = False,
) -> None:
    """List the hosts of labs that are up, with whether each engine answers.

    Example:

      dockerctl hosts ls --json | jq '.hosts[] | select(.kind == "simulated") | .url'
    """
    report = hosts_ls(lab)
    render.finish(report, json_out, lambda: _table(report))


@report_command(app, "down")
def down_cmd(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="The playbook whose hosts to remove."),
    lab: LabOfFile = None,
    volumes: RemoveVolumes = False,
    purge: PurgeGuestImage = False,
    json_out: bool = False,
) -> None:
    """Remove a lab and its hosts: the lab's resources on every host, the swarm mode it joined, each
    simulated host (engine, namespace, state), each VM (qemu, tap), the lab switch and its rule.

    As with `dockerctl down`, the lab's volumes keep their data unless --volumes (-v) asks for it to go.

    Examples:

      dockerctl hosts down playbooks/overlay-hosts.yaml

      dockerctl hosts down --lab volumes-across-hosts -v

      dockerctl hosts down --lab limits-vm --purge
    """
    if (file is None) == (lab is None):
        raise InvalidInput("give a playbook FILE or --lab NAME (one of them)", where="FILE/--lab")
    name = lab or load_playbook(file).name  # type: ignore[arg-type]
    with engine(ctx) as eng:
        removed = down(eng, name, keep_volumes=not volumes, volumes=volumes, purge=purge)
    if json_out:
        render.emit_json(
            {"lab": name, "hosts": removed.hosts, "resources": removed.count, "purged_images": removed.purged}
        )
        return
    render.out.print(
        f"lab {name}: removed its hosts ({', '.join(removed.hosts) or 'none'}) and {removed.count} resource(s)"
    )
    for image in removed.purged:
        render.out.print(f"removed the cached VM image {image}")
