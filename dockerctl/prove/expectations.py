"""A playbook's expectations, each turned into a Check by reading the kernel or sending traffic.

Every check carries the seed claim the expectation cites. The evidence is what was read or run.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.observe.mounts import parse_mountinfo
from dockerctl.observe.namespaces import namespace_ids
from dockerctl.observe.traffic import addresses, probe
from dockerctl.prove.runner import ProofLab
from dockerctl.spec.inputs import limit_fields
from dockerctl.spec.models import Limits
from dockerctl.spec.playbook import Expectation, Playbook
from dockerctl.spec.units import parse_size
from dockerctl.verify.checks import Check, Verdict


def _v(ok: bool) -> Verdict:
    return Verdict.ENFORCED if ok else Verdict.MISMATCH


def _limits(e: Expectation, c: Container) -> list[Check]:
    from dockerctl.workflows import check_given_limits

    assert e.limits is not None
    return [
        Check(f"{c.name}: {ch.subject}", e.claim, ch.desired, ch.observed, ch.verdict, ch.evidence, ch.note)
        for ch in check_given_limits(c, dict(e.limits.model_extra or {}))
    ]


def _oom(e: Expectation, c: Container, proofs: ProofLab) -> Check:
    from dockerctl.workflows import asked_of

    assert e.oom is not None
    limits, _ = asked_of(c)
    size = parse_size(e.oom.allocate, field="allocate")
    done = proofs.run(limits, ["dd", "if=/dev/zero", "of=/dev/null", f"bs={size}", "count=1"])
    killed = done.oom_killed or done.exit_code == 137
    return Check(
        f"twin of {c.name} allocates {e.oom.allocate}",
        e.claim,
        "OOM-killed" if e.oom.killed else "survives",
        f"exit {done.exit_code}, OOMKilled {str(done.oom_killed).lower()}",
        _v(killed == e.oom.killed),
        f"dd bs={size} count=1 in a twin with {c.name}'s limits",
    )


def _pid(c: Container) -> int:
    return int((c.attrs.get("State") or {}).get("Pid") or 0)


def _namespaces(e: Expectation, cs: dict[str, Container]) -> list[Check]:
    assert e.namespaces is not None
    a, b = cs[e.namespaces.a], cs[e.namespaces.b]
    na, nb = namespace_ids(_pid(a)), namespace_ids(_pid(b))
    out = []
    for kind, want in [
        *((k, True) for k in e.namespaces.shared),
        *((k, False) for k in e.namespaces.private),
    ]:
        same = na.get(kind) == nb.get(kind)
        out.append(
            Check(
                f"{kind} namespace of {a.name} and {b.name}",
                e.claim,
                "shared" if want else "private",
                f"{'shared' if same else 'private'} ({na.get(kind)} / {nb.get(kind)})",
                _v(same == want),
                f"/proc/{_pid(a)}/ns/{kind}, /proc/{_pid(b)}/ns/{kind}",
            )
        )
    return out


def _traffic(e: Expectation, cs: dict[str, Container], want: bool) -> Check:
    t = e.reachable if want else e.isolated
    assert t is not None
    a, b = cs[t.source], cs[t.to]
    if t.by == "name":
        target_list = [t.to]  # the lab's own name: the alias on the lab's networks
    else:
        mine, theirs = addresses(a), addresses(b)
        target_list = [theirs[n] for n in theirs if n in mine] or list(theirs.values())
    results = [probe(a, target, t.port) for target in target_list]
    reached = any(r[0] for r in results)
    cmds = "; ".join(r[1] for r in results) or "(no address to try)"
    return Check(
        f"{t.source} → {t.to} by {t.by}{f' port {t.port}' if t.port else ''}",
        e.claim,
        "reachable" if want else "isolated",
        "reached" if reached else "not reached",
        _v(reached == want),
        f"inside {a.name}: {cmds}",
    )


def _dns(e: Expectation, cs: dict[str, Container]) -> Check:
    assert e.dns is not None
    a = cs[e.dns.source]
    result = a.exec_run(["nslookup", e.dns.name])
    out = result.output.decode(errors="replace")
    resolved = result.exit_code == 0 and "can't resolve" not in out and "NXDOMAIN" not in out
    return Check(
        f"{e.dns.source} resolves {e.dns.name}",
        e.claim,
        "resolves" if e.dns.resolves else "does not resolve",
        "resolves" if resolved else "does not resolve",
        _v(resolved == e.dns.resolves),
        f"nslookup {e.dns.name} inside {a.name}",
    )


def _nat(e: Expectation, cs: dict[str, Container], proofs: ProofLab) -> Check:
    from dockerctl.prove.network import prove_outbound_nat

    network = None
    if e.nat is not None and e.nat.container:
        nets = list(addresses(cs[e.nat.container]))
        network = nets[0] if nets else None
    check = prove_outbound_nat(proofs, network=network)
    return Check(
        check.subject, e.claim, check.desired, check.observed, check.verdict, check.evidence, check.note
    )


def _published(e: Expectation, c: Container) -> Check:
    assert e.published is not None
    ports = ((c.attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{e.published.port}/tcp") or []
    if not ports:
        return Check(
            f"{c.name} port {e.published.port}",
            e.claim,
            "published",
            "not published",
            Verdict.MISMATCH,
            "NetworkSettings.Ports",
        )
    host_port = int(ports[0]["HostPort"])
    host_ip = ports[0].get("HostIp") or "127.0.0.1"
    host_ip = "127.0.0.1" if host_ip in ("0.0.0.0", "") else host_ip
    try:
        with socket.create_connection((host_ip, host_port), timeout=3) as s:
            s.settimeout(3)
            try:
                answer = s.recv(64).decode(errors="replace").strip()
            except OSError:
                answer = ""
        observed, ok = f"connected; answered {answer!r}", True
    except OSError as exc:
        observed, ok = f"no connection: {exc}", False
    return Check(
        f"{host_ip}:{host_port} → {c.name}:{e.published.port}",
        e.claim,
        "answers from the host",
        observed,
        _v(ok),
        f"TCP connect to {host_ip}:{host_port} from the host",
    )


def _mount(e: Expectation, c: Container) -> Check:
    assert e.mount is not None
    mounts = [
        m
        for m in parse_mountinfo(Path(f"/proc/{_pid(c)}/mountinfo").read_text())
        if m.mount_point == e.mount.path
    ]
    if not mounts:
        return Check(
            f"{c.name}:{e.mount.path}",
            e.claim,
            "a mount point",
            "not mounted",
            Verdict.MISMATCH,
            f"/proc/{_pid(c)}/mountinfo",
        )
    m = mounts[-1]
    ok = True
    observed = f"{m.fstype} {'ro' if m.read_only else 'rw'}"
    if e.mount.read_only is not None:
        probe_file = f"{e.mount.path.rstrip('/')}/.dockerctl-write-probe"
        wrote = c.exec_run(["sh", "-c", f"echo x > {probe_file} && rm -f {probe_file}"]).exit_code == 0
        observed += f"; a write {'succeeded' if wrote else 'was refused'}"
        ok = m.read_only == e.mount.read_only and wrote != e.mount.read_only
    desired = (
        "read-only" if e.mount.read_only else ("read-write" if e.mount.read_only is False else "mounted")
    )
    return Check(
        f"{c.name}:{e.mount.path}", e.claim, desired, observed, _v(ok), f"/proc/{_pid(c)}/mountinfo; a write"
    )


def _file(e: Expectation, c: Container) -> Check:
    assert e.file is not None
    result = c.exec_run(["cat", e.file.path])
    text = result.output.decode(errors="replace")
    ok = result.exit_code == 0 and e.file.contains in text
    if result.exit_code != 0:
        observed = f"unreadable: {text.strip()[:80]}"
    elif ok:
        observed = f"contains {e.file.contains!r}"
    else:
        observed = f"does not contain it; starts {text.strip()[:60]!r}"
    return Check(
        f"{c.name}:{e.file.path}",
        e.claim,
        f"contains {e.file.contains!r}",
        observed,
        _v(ok),
        f"cat {e.file.path} inside {c.name}",
    )


def _cpu_ratio(e: Expectation, proofs: ProofLab) -> list[Check]:
    from dockerctl.prove.cpu import prove_cpu

    assert e.cpu_ratio is not None
    a, b = e.cpu_ratio.shares
    checks = prove_cpu(proofs, a, b, seconds=e.cpu_ratio.seconds, tolerance=e.cpu_ratio.tolerance)
    return [Check(c.subject, e.claim, c.desired, c.observed, c.verdict, c.evidence, c.note) for c in checks]


def _device_rate(e: Expectation, client: docker.DockerClient, proofs: ProofLab) -> list[Check]:
    from dockerctl.observe.devices import device_of_directory
    from dockerctl.prove.io import prove_io

    assert e.device_rate is not None
    r = e.device_rate
    device = r.device or device_of_directory(client.info().get("DockerRootDir", "/var/lib/docker"))
    if device is None:
        return [
            Check(
                "device rate",
                e.claim,
                "a throttled disk",
                "no block device under the engine's data root",
                Verdict.UNKNOWN,
                "DockerRootDir",
            )
        ]
    wanted = {
        f"device_{k}": {device: v}
        for k in ("read_bps", "write_bps", "read_iops", "write_iops")
        if (v := getattr(r, k)) is not None
    }
    checks = prove_io(proofs, Limits(**limit_fields(wanted)), tolerance=r.tolerance)
    return [Check(c.subject, e.claim, c.desired, c.observed, c.verdict, c.evidence, c.note) for c in checks]


def _survives(e: Expectation, lab: str, proofs: ProofLab) -> Check:
    from dockerctl.spec.mounts import MountSpec

    assert e.survives is not None
    s = e.survives
    mount = (MountSpec(kind="volume", source=f"{lab}-{s.volume}", target="/m"),)
    target = f"/m/{s.path.lstrip('/')}"
    writer = proofs.start(Limits(), ["sh", "-c", f"echo '{s.contains}' > {target}"], mounts=mount)
    writer.wait(timeout=30)
    writer.remove(force=True)  # the container is gone …
    done = proofs.run(Limits(), ["cat", target], mounts=mount)  # … a new one reads what it wrote
    ok = done.exit_code == 0 and s.contains in done.output
    return Check(
        f"volume {s.volume} after its writer was removed",
        e.claim,
        f"still holds {s.contains!r}",
        repr(done.output.strip()[:80]),
        _v(ok),
        f"write in one container, remove it, cat {target} in another",
    )


def _rm_volumes(e: Expectation, client: docker.DockerClient, lab: str, proofs: ProofLab) -> list[Check]:
    from dockerctl.spec.mounts import MountSpec

    assert e.rm_volumes is not None
    named = f"{lab}-{e.rm_volumes.volume}"
    twin = proofs.start(
        Limits(),
        ["sleep", "30"],
        mounts=(
            MountSpec(kind="volume", source=named, target="/named"),
            MountSpec(kind="anonymous", source=None, target="/anon"),
        ),
    )
    anon = next(m["Name"] for m in twin.attrs["Mounts"] if m["Destination"] == "/anon")
    twin.remove(force=True, v=True)  # docker rm -v
    names = {v.name for v in client.volumes.list()}
    return [
        Check(
            "rm -v: the anonymous volume",
            e.claim,
            "removed with the container",
            "gone" if anon not in names else "still there",
            _v(anon not in names),
            f"volume {anon[:12]}… after rm -v",
        ),
        Check(
            f"rm -v: the named volume {e.rm_volumes.volume}",
            e.claim,
            "kept",
            "kept" if named in names else "gone",
            _v(named in names),
            f"volume {named} after rm -v",
        ),
    ]


def evaluate(client: docker.DockerClient, pb: Playbook, containers: dict[str, Container]) -> list[Check]:
    from dockerctl.prove.runner import proof_lab

    checks: list[Check] = []
    for c in containers.values():
        c.reload()  # once: expectations run on twins and do not change the lab's containers
    with proof_lab(client) as proofs:
        for e in pb.expect:
            try:
                if e.kind == "cpu_ratio":
                    checks.extend(_cpu_ratio(e, proofs))
                elif e.kind == "device_rate":
                    checks.extend(_device_rate(e, client, proofs))
                elif e.kind == "survives":
                    checks.append(_survives(e, pb.name, proofs))
                elif e.kind == "rm_volumes":
                    checks.extend(_rm_volumes(e, client, pb.name, proofs))
                else:
                    checks.extend(_one(e, containers, proofs))
            except (
                Exception
            ) as exc:  # an expectation that cannot be evaluated fails, it does not stop the others
                checks.append(
                    Check(
                        f"{e.kind} ({', '.join(e.containers())})",
                        e.claim,
                        "evaluated",
                        "error",
                        Verdict.UNKNOWN,
                        "",
                        f"{type(exc).__name__}: {exc}",
                    )
                )
    return checks


def _one(e: Expectation, cs: dict[str, Container], proofs: ProofLab) -> list[Check]:
    body: Any = getattr(e, e.kind)
    kind = e.kind
    if kind == "limits":
        return _limits(e, cs[body.container])
    if kind == "oom":
        return [_oom(e, cs[body.container], proofs)]
    if kind == "namespaces":
        return _namespaces(e, cs)
    if kind in ("reachable", "isolated"):
        return [_traffic(e, cs, kind == "reachable")]
    if kind == "dns":
        return [_dns(e, cs)]
    if kind == "nat":
        return [_nat(e, cs, proofs)]
    if kind == "published":
        return [_published(e, cs[body.container])]
    if kind == "mount":
        return [_mount(e, cs[body.container])]
    return [_file(e, cs[body.container])]
