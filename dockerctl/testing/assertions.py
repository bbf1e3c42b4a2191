"""Assertions that read the kernel and fail with a readable diff.

Each accepts a dockerctl lab handle's container, a docker-py Container, a testcontainers
DockerContainer (anything with get_wrapped_container()), or a container id/name with `client=`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.observe.mounts import parse_mountinfo
from dockerctl.observe.namespaces import KINDS, namespace_ids
from dockerctl.observe.traffic import addresses, probe, targets
from dockerctl.spec.inputs import LIMIT_FIELDS
from dockerctl.workflows import check_given_limits


def as_container(obj: Any, client: docker.DockerClient | None = None) -> Container:
    """A fresh docker-py Container for whatever names one."""
    if hasattr(obj, "get_wrapped_container"):  # testcontainers DockerContainer
        obj = obj.get_wrapped_container()
    if isinstance(obj, Container):
        obj.reload()
        return obj
    if isinstance(obj, str):
        if client is None:
            raise TypeError("a container given by name or id needs client=")
        container: Container = client.containers.get(obj)
        return container
    raise TypeError(f"not a container: {obj!r}")


def _table(rows: Iterable[tuple[str, ...]]) -> str:
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows)


def assert_limits(container: Any, *, client: docker.DockerClient | None = None, **expected: Any) -> None:
    """The kernel holds each given limit (memory="100M", cpu_shares=512, device_write_bps={"/dev/vda": "30MB"} …).

    Fails listing every limit that does not hold: asked, kernel value, verdict, the file read.
    """
    c = as_container(container, client)
    unknown = set(expected) - set(LIMIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown limit(s): {', '.join(sorted(unknown))}")
    bad = [ch for ch in check_given_limits(c, expected) if not ch.ok]
    if bad:
        rows = [("limit", "asked", "kernel", "verdict", "read from")]
        rows += [(ch.subject, ch.desired, ch.observed, str(ch.verdict), ch.evidence) for ch in bad]
        notes = [f"  {ch.subject}: {ch.note}" for ch in bad if ch.note]
        raise AssertionError(
            f"limits of container {c.name} do not hold in the kernel:\n"
            + _table(rows)
            + ("\n" + "\n".join(notes) if notes else "")
        )


def _pid(c: Container) -> int:
    pid = int((c.attrs.get("State") or {}).get("Pid") or 0)
    if pid <= 0:
        raise AssertionError(f"container {c.name} is not running: it has no namespaces to compare")
    return pid


def assert_namespaces(
    a: Any,
    b: Any,
    *,
    shared: Iterable[str] = (),
    private: Iterable[str] = (),
    client: docker.DockerClient | None = None,
) -> None:
    """a and b share each namespace in `shared` and not those in `private` (seed K2–K8; /proc/<pid>/ns)."""
    ca, cb = as_container(a, client), as_container(b, client)
    na, nb = namespace_ids(_pid(ca)), namespace_ids(_pid(cb))
    rows, bad = [("namespace", "expected", ca.name, cb.name)], False
    for kind, want_shared in [*((k, True) for k in shared), *((k, False) for k in private)]:
        if kind not in KINDS:
            raise TypeError(f"unknown namespace kind {kind!r}; one of {', '.join(KINDS)}")
        same = na.get(kind) == nb.get(kind)
        if same != want_shared:
            bad = True
            rows.append((kind, "shared" if want_shared else "private", na.get(kind, "?"), nb.get(kind, "?")))
    if bad:
        raise AssertionError("namespaces are not as expected (/proc/<pid>/ns):\n" + _table(rows))


def assert_reachable(
    a: Any, b: Any, *, by: str = "ip", port: int | None = None, client: docker.DockerClient | None = None
) -> None:
    """A packet from a reaches b (ping, or a TCP connect to `port`), by b's IP on a common network or by name."""
    ca, cb = as_container(a, client), as_container(b, client)
    tried = []
    for target in targets(ca, cb, by):
        ok, cmd, _ = probe(ca, target, port)
        if ok:
            return
        tried.append(cmd)
    raise AssertionError(
        f"{cb.name} is not reachable from {ca.name} by {by}{f' on port {port}' if port else ''}:\n"
        + "\n".join(f"  failed in {ca.name}: {t}" for t in tried or ["(b has no address)"])
        + f"\n  {ca.name} networks: {addresses(ca)}\n  {cb.name} networks: {addresses(cb)}"
    )


def assert_isolated(
    a: Any, b: Any, *, port: int | None = None, client: docker.DockerClient | None = None
) -> None:
    """No packet from a reaches b: not by any of b's IPs, not by name (seed C1)."""
    ca, cb = as_container(a, client), as_container(b, client)
    for target in [*addresses(cb).values(), cb.name]:
        ok, cmd, _ = probe(ca, target, port)
        if ok:
            raise AssertionError(f"{cb.name} is reachable from {ca.name}: `{cmd}` succeeded in {ca.name}")


def assert_mount(
    container: Any,
    path: str,
    *,
    read_only: bool | None = None,
    fstype: str | None = None,
    client: docker.DockerClient | None = None,
) -> None:
    """`path` is a mount point in the container (its /proc/<pid>/mountinfo); read_only=True is also proved
    by a write that must fail, read_only=False by one that must succeed."""
    c = as_container(container, client)
    mounts = parse_mountinfo(Path(f"/proc/{_pid(c)}/mountinfo").read_text())
    found = [m for m in mounts if m.mount_point == path]
    if not found:
        points = ", ".join(
            sorted(m.mount_point for m in mounts if not m.mount_point.startswith(("/proc", "/sys", "/dev")))
        )
        raise AssertionError(f"{path} is not a mount point in {c.name}; mount points: {points}")
    m = found[-1]
    problems = []
    if fstype is not None and m.fstype != fstype:
        problems.append(f"filesystem {m.fstype}, expected {fstype}")
    if read_only is not None:
        if m.read_only != read_only:
            problems.append(
                f"mounted {'ro' if m.read_only else 'rw'}, expected {'ro' if read_only else 'rw'}"
            )
        probe = f"{path.rstrip('/')}/.dockerctl-write-probe"
        wrote = c.exec_run(["sh", "-c", f"echo x > {probe} && rm -f {probe}"]).exit_code == 0
        if wrote == read_only:
            problems.append(f"a write to {path} {'succeeded' if wrote else 'failed'}")
    if problems:
        raise AssertionError(
            f"mount {path} in {c.name} (source {m.source}, {m.fstype}): " + "; ".join(problems)
        )
