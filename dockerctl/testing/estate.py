"""What operators run, as assertions: `assert_compose_holds` checks a running compose project against its
file as `dockerctl compose verify` does (dockerctl.ops.compose); `assert_no_findings` is `dockerctl audit`
(dockerctl.ops.audit)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dockerctl.engines.engine import Engine, connect_engine
from dockerctl.ops.audit import AuditReport, audit
from dockerctl.ops.compose import DEFAULT_FILES, ComposeReport, verify_project
from dockerctl.verify.audit import DEFAULT_FAIL_ON, RULES


def _files(project: Any) -> tuple[list[Path], Path]:
    """A compose file path, a list of them, or a testcontainers DockerCompose → (files, directory)."""
    if hasattr(project, "context") and hasattr(project, "compose_file_name"):  # testcontainers DockerCompose
        context = Path(os.fspath(project.context))
        names = project.compose_file_name or []
        if not names:
            names = [next((n for n in DEFAULT_FILES if (context / n).is_file()), DEFAULT_FILES[0])]
        return [context / n for n in names], context
    if isinstance(project, str | os.PathLike):
        path = Path(os.fspath(project))
        return [path], path.parent
    if isinstance(project, list | tuple):
        paths = [Path(os.fspath(p)) for p in project]
        return paths, paths[0].parent
    raise TypeError(f"not a compose file or a testcontainers DockerCompose: {project!r}")


def assert_compose_holds(
    project: Any,
    *,
    project_name: str | None = None,
    engine: Engine | None = None,
    traffic: bool = True,
    not_held_ok: Iterable[str] = (),
) -> ComposeReport:
    """Every check of `dockerctl compose verify` holds for the running project: each resource key in the
    kernel, networks by traffic, mounts, ports, no drift. `project`: a compose file (or a list: base and
    overrides) or a testcontainers `DockerCompose`. `not_held_ok`: compose keys this kernel may not hold
    (e.g. "blkio_config.weight" where the kernel has no weight file) — they must then be reported
    not-enforced, never silently pass. Returns the report; fails listing every row that does not hold."""
    files, directory = _files(project)
    allowed = set(not_held_ok)
    own = engine is None
    eng = engine or connect_engine()
    try:
        report = verify_project(eng, files, project_name, cwd=directory, traffic=traffic)
    finally:
        if own:
            eng.close()
    bad = [
        r for r in report.rows
        if not r.ok and not (r.check.subject in allowed and str(r.check.verdict) == "not-enforced")
    ]  # fmt: skip
    if bad:
        rows = [("where", "container", "check", "asked", "engine", "found", "verdict")]
        rows += [
            (r.where, r.container or r.service, r.check.subject, r.check.desired, r.check.engine or "-",
             r.check.observed, str(r.check.verdict))
            for r in bad
        ]  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        table = "\n".join(
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
        )
        notes = "\n".join(f"  {r.check.subject}: {r.check.note}" for r in bad if r.check.note)
        raise AssertionError(
            f"compose project {report.project} does not hold what {', '.join(report.files)} asks:\n{table}"
            + (f"\n{notes}" if notes else "")
        )
    return report


def assert_no_findings(
    rules: Iterable[str] = DEFAULT_FAIL_ON,
    *,
    containers: Iterable[Any] | None = None,
    engine: Engine | None = None,
) -> AuditReport:
    """`dockerctl audit` as an assertion: no finding of `rules` (rule ids, as for --fail-on) on the engine's
    containers — or only on `containers` (names, docker-py or testcontainers containers); by default the
    limits not held and what could not be read (`unreadable`, not root). Fails listing
    each finding with its evidence; returns the report."""
    chosen = tuple(rules)
    unknown = [r for r in chosen if r not in RULES]
    if unknown:
        raise TypeError(f"unknown rule(s) {', '.join(unknown)}: use {', '.join(RULES)}")
    names = None
    if containers is not None:
        names = set()
        for c in containers:
            if hasattr(c, "get_wrapped_container"):
                c = c.get_wrapped_container()
            names.add(c if isinstance(c, str) else str(c.name))
    own = engine is None
    eng = engine or connect_engine()
    try:
        report = audit(eng, fail_on=chosen)
    finally:
        if own:
            eng.close()
    bad = [f for f in report.failing if names is None or f.container in names]
    if bad:
        lines = [
            f"  {f.rule}{f' (CIS {f.cis})' if f.cis else ''}  {f.container}: {f.found}  [{f.evidence}]"
            for f in bad
        ]
        raise AssertionError(f"{len(bad)} audit finding(s) of {', '.join(chosen)}:\n" + "\n".join(lines))
    return report
