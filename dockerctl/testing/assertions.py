"""Assertions that read the kernel and fail with a readable diff — through the same checks the CLI and
playbooks use (`dockerctl.checks`).

Each accepts a dockerctl lab handle's container, a docker-py Container, a testcontainers
DockerContainer (anything with get_wrapped_container()), or a container id/name with `client=`.
The kernel is read on the engine's host: `engine=` (an Engine), else the host DOCKER_HOST names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import docker
from docker.models.containers import Container

from dockerctl.checks import mounts, namespaces, traffic
from dockerctl.checks.limits import check_given_limits
from dockerctl.engines.client import engine_url
from dockerctl.engines.engine import Engine, host_for
from dockerctl.hosts import Host
from dockerctl.observe.traffic import addresses
from dockerctl.spec.inputs import LIMIT_FIELDS
from dockerctl.testing.evidence import Recorder, failure
from dockerctl.verify.verdict import Check


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


def _engine(c: Container, engine: Engine | None) -> Engine:
    if engine is not None:
        return engine
    url = engine_url()
    return Engine("default", c.client, host_for(url), url)


def _host(engine: Engine | None) -> Host:
    return engine.host if engine is not None else host_for(engine_url())


def _failed(bad: list[Check], heading: str, record_property: Recorder | None = None) -> AssertionError:
    rows = [("check", "asked", "engine", "kernel", "verdict", "read from")]
    rows += [
        (ch.subject, ch.desired, ch.engine or "-", ch.observed, str(ch.verdict), ch.evidence) for ch in bad
    ]
    notes = [f"{ch.subject}: {ch.note}" for ch in bad if ch.note]
    return failure(heading, rows, notes, record_property=record_property)


def assert_limits(
    container: Any,
    *,
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
    record_property: Recorder | None = None,
    **expected: Any,
) -> None:
    """The kernel holds each given limit (memory="100M", cpu_shares=512, device_write_bps={"/dev/vda": "30MB"} …).

    Fails listing every limit that does not hold: asked, the engine's HostConfig, the kernel's value,
    verdict, the file read (attached to the JUnit report with `record_property=` or `dockerctl_evidence`).
    """
    c = as_container(container, client)
    unknown = set(expected) - set(LIMIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown limit(s): {', '.join(sorted(unknown))}")
    bad = [ch for ch in check_given_limits(_engine(c, engine), c, expected) if not ch.ok]
    if bad:
        raise _failed(bad, f"limits of container {c.name} do not hold in the kernel:", record_property)


def assert_namespaces(
    a: Any,
    b: Any,
    *,
    shared: Iterable[str] = (),
    private: Iterable[str] = (),
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
) -> None:
    """a and b share each namespace in `shared` and not those in `private` (seed K2–K8; /proc/<pid>/ns)."""
    ca, cb = as_container(a, client), as_container(b, client)
    for c in (ca, cb):
        if int((c.attrs.get("State") or {}).get("Pid") or 0) <= 0:
            raise AssertionError(f"container {c.name} is not running: it has no namespaces to compare")
    try:
        checks = namespaces.compare(_host(engine), ca, cb, shared=shared, private=private)
    except ValueError as exc:
        raise TypeError(str(exc)) from None
    bad = [ch for ch in checks if not ch.ok]
    if bad:
        raise _failed(bad, "namespaces are not as expected (/proc/<pid>/ns):")


def assert_reachable(
    a: Any, b: Any, *, by: str = "ip", port: int | None = None, client: docker.DockerClient | None = None
) -> None:
    """A packet from a reaches b (ping, or a TCP connect to `port`), by b's IP on a common network or by name."""
    ca, cb = as_container(a, client), as_container(b, client)
    found = traffic.reach(ca, cb, by=by, port=port, stop_at_first=True)
    if not found.reached:
        raise AssertionError(
            f"{cb.name} is not reachable from {ca.name} by {by}{f' on port {port}' if port else ''}:\n"
            + "\n".join(f"  failed in {ca.name}: {t.command}" for t in found.attempts or [])
            + ("" if found.attempts else "  (b has no address)")
            + f"\n  {ca.name} networks: {addresses(ca)}\n  {cb.name} networks: {addresses(cb)}"
        )


def assert_isolated(
    a: Any, b: Any, *, port: int | None = None, client: docker.DockerClient | None = None
) -> None:
    """No packet from a reaches b: not by any of b's IPs, not by name (seed C1)."""
    ca, cb = as_container(a, client), as_container(b, client)
    found = traffic.isolation(ca, cb, port=port)
    for attempt in found.attempts:
        if attempt.reached:
            raise AssertionError(
                f"{cb.name} is reachable from {ca.name}: `{attempt.command}` succeeded in {ca.name}"
            )


def assert_mount(
    container: Any,
    path: str,
    *,
    read_only: bool | None = None,
    fstype: str | None = None,
    client: docker.DockerClient | None = None,
    engine: Engine | None = None,
) -> None:
    """`path` is a mount point in the container (its /proc/<pid>/mountinfo); read_only=True is also proved
    by a write that must fail, read_only=False by one that must succeed."""
    c = as_container(container, client)
    if int((c.attrs.get("State") or {}).get("Pid") or 0) <= 0:
        raise AssertionError(f"container {c.name} is not running: it has no mount table")
    check = mounts.check_mount(_host(engine), c, path, read_only=read_only, fstype=fstype)
    if not check.ok:
        if check.observed == "not mounted":
            raise AssertionError(f"{path} is not a mount point in {c.name}; {check.note}")
        raise AssertionError(f"mount {path} in {c.name} ({check.observed}): {check.note}")
