"""Mounts as `docker run` takes them (seed S3–S8): -v HOST:CTR[:ro], -v NAME:CTR[:ro], -v CTR, --mount,
--volumes-from — parsed and validated before the engine is touched.

Semantics kept from docker: `-v` with a missing host directory creates it, `--mount type=bind` refuses
it; a bare word is a volume name; `./x` and `../x` are host paths relative to the working directory
(as the docker CLI resolves them). Refused before the engine: a container path that is not absolute or
is `/`, an invalid volume name, and mounting the engine's own socket unless allowed explicitly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dockerctl.errors import InvalidInput

VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+\Z")
ENGINE_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


class MountSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["bind", "volume", "anonymous"]
    source: str | None  # absolute host path (bind), volume name (volume), None (anonymous)
    target: str
    read_only: bool = False
    origin: Literal["-v", "--mount"] = "-v"


def check_target(target: str, field: str) -> str:
    if not target.startswith("/"):
        raise InvalidInput(f"container path {target!r} must be absolute, e.g. /data", field=field)
    if os.path.normpath(target) == "/":
        raise InvalidInput(
            "mounting over / is refused: it would hide the container's whole filesystem", field=field
        )
    return target


def _source(text: str, field: str, cwd: Path) -> tuple[Literal["bind", "volume"], str]:
    if text.startswith("/"):
        return "bind", os.path.normpath(text)
    if text in (".", "..") or text.startswith(("./", "../")):
        return "bind", os.path.normpath(str(cwd / text))
    if not VOLUME_NAME.match(text):
        raise InvalidInput(
            f"{text!r} is neither an absolute host path nor a valid volume name",
            field=field,
            hint="host paths start with / (or ./ for the working directory); volume names use [a-zA-Z0-9_.-]",
        )
    return "volume", text


def parse_volume_flag(text: str, cwd: Path | None = None) -> MountSpec:
    """One `-v` value."""
    field = "volumes"
    parts = text.split(":")
    if len(parts) == 1:
        return MountSpec(kind="anonymous", source=None, target=check_target(parts[0], field))
    if len(parts) > 3:
        raise InvalidInput(f"expected SRC:DST[:ro|rw], got {text!r}", field=field)
    kind, source = _source(parts[0], field, cwd or Path.cwd())
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise InvalidInput(f"invalid mode {mode!r}: use ro or rw", field=field)
    return MountSpec(kind=kind, source=source, target=check_target(parts[1], field), read_only=mode == "ro")


def parse_mount_flag(text: str, cwd: Path | None = None) -> MountSpec:
    """One `--mount type=bind|volume,source=…,target=…[,readonly]` value."""
    field = "mounts"
    opts: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        opts[key.strip()] = value.strip() if sep else "true"
    kind = opts.pop("type", "volume")
    source = opts.pop("source", None) or opts.pop("src", None)
    target = opts.pop("target", None) or opts.pop("destination", None) or opts.pop("dst", None)
    readonly = (opts.pop("readonly", None) or opts.pop("ro", None) or "false").lower() in ("true", "1", "")
    if opts:
        raise InvalidInput(f"unknown --mount option(s): {', '.join(sorted(opts))}", field=field)
    if target is None:
        raise InvalidInput("--mount needs target=/path", field=field)
    target = check_target(target, field)
    if kind == "bind":
        if not source:
            raise InvalidInput("a bind mount needs source=/host/path", field=field)
        src_kind, src = _source(source, field, cwd or Path.cwd())
        if src_kind != "bind":
            raise InvalidInput(f"bind source {source!r} must be a host path", field=field)
        return MountSpec(kind="bind", source=src, target=target, read_only=readonly, origin="--mount")
    if kind == "volume":
        if not source:
            return MountSpec(
                kind="anonymous", source=None, target=target, read_only=readonly, origin="--mount"
            )
        if not VOLUME_NAME.match(source):
            raise InvalidInput(f"invalid volume name {source!r}", field=field)
        return MountSpec(kind="volume", source=source, target=target, read_only=readonly, origin="--mount")
    raise InvalidInput(f"mount type {kind!r} is not supported: use bind or volume", field=field)


def check_targets(mounts: list[MountSpec]) -> None:
    """The same container path mounted twice is refused (as docker does)."""
    targets = [os.path.normpath(m.target) for m in mounts]
    dup = {t for t in targets if targets.count(t) > 1}
    if dup:
        raise InvalidInput(
            f"{', '.join(sorted(dup))} is mounted twice: give each mount its own container path",
            field="volumes",
        )
