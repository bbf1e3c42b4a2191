"""Namespaces, read and judged in one place (seed K2–K8, C3, N2–N3): identities from /proc/<pid>/ns on the
engine's host, shared/private per pair, and the reason each is as it is. `ns`, playbook `namespaces`
expectations and `assert_namespaces` all come here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docker.models.containers import Container

from dockerctl.checks.subject import running_pid
from dockerctl.hosts import Host
from dockerctl.observe.namespaces import (
    KINDS,
    NEEDS_ROOT,
    kernel_kinds,
    namespace_ids,
    uid_map,
    uts_hostname,
)
from dockerctl.verify.verdict import Check, Verdict


def ids_of(host: Host, container: Container) -> dict[str, str]:
    return namespace_ids(host, running_pid(container, needs="its namespaces"))


def unreadable(host: Host, ids: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """subject → the kinds this kernel has whose id could not be read for it (not root)."""
    kinds = kernel_kinds(host)
    return {s: missing for s, got in ids.items() if (missing := [k for k in kinds if k not in got])}


def host_ids(host: Host) -> dict[str, str]:
    """The host's own namespaces: its init's; where /proc/1 is not readable (a sandbox), the reader's."""
    return namespace_ids(host, 1) or namespace_ids(host, "self")


def pair_matrix(ids: dict[str, dict[str, str]], kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every pair of subjects → shared/private per namespace kind. Pure. `kinds`: those the kernel has;
    one of them whose id was not read for either subject is unknown (needs root), never private."""
    subjects = list(ids)
    known = tuple(KINDS if kinds is None else kinds)
    out = []
    for i, a in enumerate(subjects):
        for b in subjects[i + 1 :]:
            row: dict[str, Any] = {"a": a, "b": b}
            for k in KINDS:
                if k in ids[a] and k in ids[b]:
                    row[k] = "shared" if ids[a][k] == ids[b][k] else "private"
                elif k in known:
                    row[k] = NEEDS_ROOT
            out.append(row)
    return out


def compare(
    host: Host,
    a: Container,
    b: Container,
    *,
    shared: Iterable[str] = (),
    private: Iterable[str] = (),
    claim: str = "K2",
) -> list[Check]:
    """One Check per namespace kind named: shared (same inode) or private, as wanted."""
    wanted = [*((k, True) for k in shared), *((k, False) for k in private)]
    for kind, _ in wanted:
        if kind not in KINDS:
            raise ValueError(f"unknown namespace kind {kind!r}; one of {', '.join(KINDS)}")
    na, nb = ids_of(host, a), ids_of(host, b)
    pa, pb = running_pid(a, needs="its namespaces"), running_pid(b, needs="its namespaces")
    out = []
    for kind, want in wanted:
        if kind not in na or kind not in nb:
            out.append(
                Check(
                    f"{kind} namespace of {a.name} and {b.name}",
                    claim,
                    "shared" if want else "private",
                    f"{NEEDS_ROOT} ({na.get(kind, NEEDS_ROOT)} / {nb.get(kind, NEEDS_ROOT)})",
                    Verdict.UNKNOWN,
                    f"/proc/{pa}/ns/{kind}, /proc/{pb}/ns/{kind} on {host.name}",
                )
            )
            continue
        same = na[kind] == nb[kind]
        out.append(
            Check(
                f"{kind} namespace of {a.name} and {b.name}",
                claim,
                "shared" if want else "private",
                f"{'shared' if same else 'private'} ({na.get(kind)} / {nb.get(kind)})",
                Verdict.ENFORCED if same == want else Verdict.MISMATCH,
                f"/proc/{pa}/ns/{kind}, /proc/{pb}/ns/{kind} on {host.name}",
            )
        )
    return out


def explain(host: Host, c: Container, engine_info: dict[str, Any]) -> list[str]:
    """Why each namespace of `c` is shared or private: its modes, hostname and user mapping."""
    hc = c.attrs.get("HostConfig") or {}
    pid = running_pid(c, needs="its namespaces")
    out = []
    mode = hc.get("NetworkMode", "")
    if mode.startswith("container:"):
        out.append(
            f"{c.name}: --network container:{mode.split(':', 1)[1][:12]} joins that container's network "
            "namespace (seed C3)"
        )
    elif mode == "host":
        out.append(f"{c.name}: --network host shares the host's network namespace (seed N3)")
    elif mode == "none":
        out.append(f"{c.name}: --network none: its own network namespace with only lo (seed N2)")
    for key, flag in (("PidMode", "--pid"), ("IpcMode", "--ipc"), ("UTSMode", "--uts")):
        value = hc.get(key) or ""
        if value and value not in ("private", "shareable"):
            out.append(f"{c.name}: {flag} {value}")
    name = uts_hostname(host, pid)
    short = c.id[:12]
    if name is not None:
        if mode.startswith("container:"):
            why = "copied from the joined container (docker does so for --network container:); own UTS namespace"
        elif name == short:
            why = "the default: the short container id (seed K4)"
        elif (c.attrs.get("Config") or {}).get("Hostname") == name and mode != "host":
            why = "set with -h/--hostname (seed K4)"
        else:
            why = "the host's (shared UTS namespace)"
        out.append(f"{c.name}: hostname {name!r} — {why}")
    rows = uid_map(host, pid)
    if not rows:
        out.append(f"{c.name}: uid_map {NEEDS_ROOT} (/proc/{pid}/uid_map not readable)")
        return out
    remapped = not (len(rows) == 1 and rows[0] == (0, 0, 4294967295))
    daemon = any("name=userns" in str(o) for o in engine_info.get("SecurityOptions") or [])
    out.append(
        f"{c.name}: uid_map {rows} — "
        + (
            "users are remapped: root inside is an unprivileged user outside (seed K8)"
            if remapped
            else "no remapping: root inside is root on the host; the daemon runs "
            + ("with" if daemon else "without")
            + " --userns-remap (seed K8)"
        )
    )
    return out
