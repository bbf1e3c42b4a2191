from __future__ import annotations

import typer
from rich.markup import escape

from dockerctl.apply.networks import (
    connect,
    create_network,
    disconnect,
    get_network,
    remove_network,
    subnets_of,
)
from dockerctl.apply.swarm import swarm_init, swarm_leave
from dockerctl.cli import render
from dockerctl.cli._args import RunningContainer, group
from dockerctl.cli._context import GroupUnderLab, engine
from dockerctl.cli._rm import add_rm
from dockerctl.cli.output import report_command
from dockerctl.engines.labels import is_owned
from dockerctl.errors import InvalidInput
from dockerctl.observe.netpath import NetPath
from dockerctl.ops.cnm import CnmReport, net_cnm
from dockerctl.ops.crosspath import path_between
from dockerctl.ops.network import net_check, net_path, prove_network
from dockerctl.ops.reports import CheckReport
from dockerctl.spec.inputs import key_values
from dockerctl.spec.network import NetworkSpec

app = group("Networks (seed N1-N9, C1-C3, O1-O2, X3-X10), like `docker network`, plus path/check/prove.")
swarm_app = group("Swarm mode on the local engine, for overlay networks (seed X3).")


@report_command(app, "ls")
def ls(ctx: typer.Context, json_out: bool = False) -> None:
    """Networks with driver, subnets, owner and the containers on them (seed N1).

    Example:

      dockerctl net ls
    """
    with engine(ctx) as eng:
        nets = eng.client.networks.list()
        users: dict[str, list[str]] = {}
        for c in eng.client.containers.list(all=True, sparse=True):
            for net_name in (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}:
                users.setdefault(net_name, []).append((c.attrs.get("Names") or [c.id])[0].lstrip("/"))
    rows = [
        {
            "name": n.name,
            "driver": n.attrs.get("Driver"),
            "scope": n.attrs.get("Scope"),
            "subnets": subnets_of(n),
            "owner": "dockerctl" if is_owned(n.attrs.get("Labels")) else "other",
            "containers": sorted(users.get(n.name, [])),
        }
        for n in sorted(nets, key=lambda n: n.name)
    ]
    if json_out:
        render.emit_json(rows)
        return
    table = render.fold_table(("name", "driver", "scope", "subnets", "owner", "containers"), title="networks")
    for r in rows:
        table.add_row(
            *(
                escape(str(x))
                for x in (
                    r["name"],
                    r["driver"],
                    r["scope"],
                    ", ".join(r["subnets"]),
                    r["owner"],
                    ", ".join(r["containers"]),
                )
            )
        )
    render.out.print(table)


@report_command(app, "create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Network name."),
    driver: str = typer.Option("bridge", "--driver", "-d", help="bridge, macvlan or overlay (seed N6)."),
    subnet: str | None = typer.Option(None, "--subnet", help="e.g. 172.22.16.0/24 (seed N7)."),
    gateway: str | None = typer.Option(None, "--gateway", help="An address inside the subnet (seed N7)."),
    ip_range: str | None = typer.Option(
        None, "--ip-range", help="Allocate container IPs from this sub-range."
    ),
    internal: bool = typer.Option(False, "--internal", help="No outside access (no NAT)."),
    attachable: bool = typer.Option(
        False, "--attachable", help="overlay: let standalone containers join (X3)."
    ),
    opt: list[str] | None = typer.Option(None, "--opt", "-o", help="Driver option, e.g. parent=eth0 (X8)."),
    lab: GroupUnderLab = None,
    json_out: bool = False,
) -> None:
    """Create a labelled network; overlapping subnets, gateways outside the subnet, a missing or taken
    macvlan parent and overlay without swarm are refused before the engine.

    Examples:

      dockerctl net create my_net --subnet 172.22.16.0/24 --gateway 172.22.16.1

      dockerctl net create mac1 -d macvlan --subnet 198.18.10.0/24 -o parent=veth-lab0
    """
    options = key_values(opt, where="-o/--opt")
    if driver not in ("bridge", "macvlan", "overlay"):
        raise InvalidInput(f"driver {driver!r} is not one of bridge, macvlan, overlay", where="-d/--driver")
    spec = NetworkSpec.model_validate(
        {
            "name": name,
            "driver": driver,
            "subnet": subnet,
            "gateway": gateway,
            "ip_range": ip_range,
            "internal": internal,
            "attachable": attachable,
            "options": options,
            "lab": lab,
        }
    )
    with engine(ctx) as eng:
        net = create_network(eng, spec)
    render.say(
        json_out,
        {"name": net.name, "id": net.id, "driver": driver},
        f"created network {net.name} ({net.id[:12]}, {driver})",
    )


@app.command("inspect")
def inspect(ctx: typer.Context, name: str = typer.Argument(..., help="Network name or id.")) -> None:
    """The engine's view of a network, as JSON (seed N5).

    Example:

      dockerctl net inspect bridge
    """
    with engine(ctx) as eng:
        render.emit_json(get_network(eng.client, name).attrs)


@report_command(app, "connect")
def connect_cmd(
    ctx: typer.Context,
    network: str = typer.Argument(...),
    container: str = typer.Argument(...),
    ip: str | None = typer.Option(
        None, "--ip", help="Static IPv4 (only on a network created with --subnet)."
    ),
    alias: list[str] | None = typer.Option(None, "--alias", help="DNS alias on this network; repeatable."),
    json_out: bool = False,
) -> None:
    """Add a network to a running container (seed N9).

    Example:

      dockerctl net connect my_net web
    """
    with engine(ctx) as eng:
        connect(eng.client, network, container, ip=ip, aliases=alias)
    render.say(json_out, {"connected": container, "network": network}, f"connected {container} to {network}")


@report_command(app, "disconnect")
def disconnect_cmd(
    ctx: typer.Context,
    network: str = typer.Argument(...),
    container: str = typer.Argument(...),
    json_out: bool = False,
) -> None:
    """Remove a container from a network.

    Example:

      dockerctl net disconnect my_net web
    """
    with engine(ctx) as eng:
        disconnect(eng.client, network, container)
    render.say(
        json_out, {"disconnected": container, "network": network}, f"disconnected {container} from {network}"
    )


_RM_HELP = """Remove networks; one with containers attached is refused.

    Example:

      dockerctl net rm my_net
    """
add_rm(app, "network", remove_network, _RM_HELP)


def _show_path(p: NetPath) -> None:
    render.out.print(f"[bold]{escape(p.container)}[/bold] (network mode {escape(p.mode)})")
    for h in p.hops:
        i = h.interface
        render.out.print(
            f"  {escape(i['name'])} (ifindex {i['ifindex']}) {escape(', '.join(i['addresses']))}"
        )
        if h.note:
            render.out.print(f"    {escape(h.note)}")
        if h.bridge:
            render.out.print(
                f"    bridge {escape(h.bridge)} = network {escape(str(h.network))}, gateway "
                f"{escape(', '.join(h.bridge_addresses))}"
            )
        if h.masquerade:
            render.out.print(f"    outbound NAT (O1): iptables -t nat -A POSTROUTING {escape(h.masquerade)}")
    for r in p.routes:
        render.out.print(
            f"  route {escape(r.dst)}" + (f" via {r.gateway}" if r.gateway else "") + f" dev {r.dev}"
        )
    for port in p.ports:
        render.out.print(f"  published (O2) {port['host']} → {port['container_port']}")
        for d in port["dnat"]:
            render.out.print(f"    DNAT: {escape(d)}")
        for proxy in port["docker_proxy"]:
            render.out.print(f"    docker-proxy {escape(proxy)}")
    render.out.print(f"  DNS servers: {escape(', '.join(p.dns) or '-')}")
    render.lines(p.notes, "  - ")


@report_command(app, "path")
def path(
    ctx: typer.Context,
    container: RunningContainer,
    other: str | None = typer.Argument(
        None, help="Another container, on another host of a lab: every hop between them (overlay, macvlan)."
    ),
    json_out: bool = False,
) -> None:
    """The container's network plumbing, each fact read from the kernel: interfaces (`ip -json` in its
    namespace), each veth's peer on the host (ifindex/iflink), the bridge and gateway, routes, the
    MASQUERADE rule for its subnet, published ports with DNAT rule and docker-proxy, its DNS server.

    Example:

      dockerctl net path web --json

      dockerctl -H unix:///run/dctl-ovh1.sock net path overlay-hosts-a overlay-hosts-b
    """
    if other is not None:
        with engine(ctx) as eng:
            cross = path_between(eng, container, other)
        render.finish(cross, json_out, lambda: render.hops(cross))
        return
    with engine(ctx) as eng:
        p = net_path(eng, container)
    if json_out:
        render.emit_json(p.to_dict())
    else:
        _show_path(p)


@report_command(app, "cnm")
def cnm(
    ctx: typer.Context,
    network: str = typer.Argument(..., help="Network name or id (on this engine or a lab host's)."),
    json_out: bool = False,
) -> None:
    """The CNM of a network, read from the kernel (seed X2): per container its sandbox (network
    namespace, inode), its endpoint (interface, addresses, the veth end outside), and the network's own
    objects (bridge, vxlan device, routes) — for any driver, the engine's or a plugin's. Each is labelled
    overlay or underlay by evidence: an encapsulation device carrying its traffic (X14).

    Examples:

      dockerctl net cnm bridge

      dockerctl net cnm mylab-n1 --json
    """
    with engine(ctx) as eng:
        report = net_cnm(eng, network)
    render.finish(report, json_out, lambda: _show_cnm(report))


def _show_cnm(report: CnmReport) -> None:
    for v in report.views:
        render.out.print(
            f"[bold]{escape(v.name)}[/bold] on {escape(v.host)}: driver {escape(v.driver)}, "
            f"{', '.join(v.subnets) or 'no subnet'} — [bold]{v.model}[/bold]"
            + (f" ({escape('; '.join(v.carried_by))})" if v.carried_by else " (no encapsulation device)")
        )
        for obj in v.objects:
            render.out.print(f"  network   {escape(obj)}")
        for ep in v.endpoints:
            render.out.print(
                f"  sandbox   {escape(ep.container)}: {escape(ep.netns)} inode {ep.inode} ({escape(ep.sandbox)})"
            )
            render.out.print(
                f"  endpoint  {escape(ep.interface)} {ep.kind} {escape(', '.join(ep.addresses))} {ep.mac}"
                + (f" ↔ {escape(ep.host_end)}" if ep.host_end else "")
            )
        render.lines(v.notes, "  note      ")


def _show_checks(title: str, report: CheckReport) -> None:
    render.checks_table(title, report.checks, observed="measured")
    render.lines(report.notes, "- ")


@report_command(app, "check")
def check(
    ctx: typer.Context,
    a: str = typer.Argument(..., help="Container that sends."),
    b: str = typer.Argument(..., help="Container to reach."),
    port: int | None = typer.Option(None, "--port", help="TCP connect to this port instead of ping."),
    by: str = typer.Option("ip", "--by", help="ip (b's address on a common network) or name."),
    expect: str = typer.Option("reachable", "--expect", help="reachable or isolated."),
    json_out: bool = False,
) -> None:
    """Proof by traffic: send a packet from A to B (ping or a TCP connect) and say why it did or did
    not arrive. Exit 1 when the result is not what --expect says.

    Examples:

      dockerctl net check web db --by name

      dockerctl net check web other --expect isolated
    """
    with engine(ctx) as eng:
        report = net_check(eng, a, b, by=by, port=port, expect=expect)
    render.finish(report, json_out, lambda: _show_checks(f"{a} → {b}", report))


@report_command(app, "prove")
def prove(
    ctx: typer.Context,
    which: str = typer.Argument("all", help="nat, publish or all."),
    json_out: bool = False,
) -> None:
    """Prove outbound NAT (O1) and port publishing (O2) by traffic: a lab outside namespace in
    198.18.0.0/15 sees the container's connection come from the host's address; a published port
    answers on the host and docker-proxy is its listener. Everything is removed afterwards.

    Example:

      dockerctl net prove
    """
    if which not in ("nat", "publish", "all"):
        raise InvalidInput(f"expected nat, publish or all, got {which!r}", where="WHICH")
    with engine(ctx) as eng:
        report = prove_network(eng, which)
    render.finish(report, json_out, lambda: _show_checks("reaching out and in (seed O1, O2)", report))


@report_command(swarm_app, "init")
def init(
    ctx: typer.Context,
    advertise_addr: str = typer.Option(
        "127.0.0.1", "--advertise-addr", help="Address other nodes would use."
    ),
    json_out: bool = False,
) -> None:
    """Turn on swarm mode on this engine (a single-node swarm) so overlay networks can be made.

    Example:

      dockerctl swarm init
    """
    with engine(ctx) as eng:
        said = swarm_init(eng.client, advertise_addr)
    render.say(json_out, {"swarm": said}, f"swarm: {said}")


@report_command(swarm_app, "leave")
def leave(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Leave even as the last manager."),
    json_out: bool = False,
) -> None:
    """Leave swarm mode (a single-node manager needs --force).

    Example:

      dockerctl swarm leave --force
    """
    with engine(ctx) as eng:
        said = swarm_leave(eng.client, force=force)
    render.say(json_out, {"swarm": said}, f"swarm: {said}")
