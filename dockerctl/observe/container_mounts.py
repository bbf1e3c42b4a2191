"""A container's mounts as the kernel has them (/proc/<pid>/mountinfo, seed S1–S5), joined with what the
engine says each one is (inspect → Mounts, GraphDriver). Pure: takes the texts and dicts, returns rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dockerctl.observe.mounts import Mount, parse_mountinfo

PSEUDO = ("/proc", "/sys", "/dev")
ENGINE_FILES = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf")


@dataclass(frozen=True)
class MountRow:
    mount_point: str
    kind: str  # container layer / volume / bind / engine file / tmpfs / pseudo
    source: str  # volume name, host path, or the layer's upper dir
    host_path: str  # where the data lives on the host
    fstype: str
    read_only: bool
    propagation: str
    kernel: str  # the mountinfo facts it came from: device and root inside that filesystem

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(m: Mount, engine: dict[str, dict[str, Any]], container: dict[str, Any]) -> MountRow:
    kernel = f"{m.device} {m.root} ({m.source})"
    known = engine.get(m.mount_point)
    if m.mount_point == "/":
        data = (container.get("GraphDriver") or {}).get("Data") or {}
        driver = container.get("Driver") or (container.get("GraphDriver") or {}).get("Name", "?")
        return MountRow(
            "/",
            f"container layer ({driver})",
            data.get("UpperDir", m.source),
            data.get("UpperDir", ""),
            m.fstype,
            m.read_only,
            m.propagation,
            kernel,
        )
    if known is not None:
        kind = known.get("Type", "?")
        source = known.get("Name") or known.get("Source", "")
        return MountRow(
            m.mount_point, kind, source, known.get("Source", ""), m.fstype, m.read_only, m.propagation, kernel
        )
    if m.mount_point in ENGINE_FILES:
        return MountRow(
            m.mount_point, "engine file", m.root, m.root, m.fstype, m.read_only, m.propagation, kernel
        )
    kind = "pseudo" if m.mount_point.startswith(PSEUDO) else m.fstype
    return MountRow(m.mount_point, kind, m.source, "", m.fstype, m.read_only, m.propagation, kernel)


def container_mounts(
    mountinfo: str, container: dict[str, Any], *, include_pseudo: bool = False
) -> list[MountRow]:
    engine = {str(m.get("Destination")): m for m in container.get("Mounts") or []}
    rows = [_row(m, engine, container) for m in parse_mountinfo(mountinfo)]
    # the last mount on a path is the one a process sees
    seen: dict[str, MountRow] = {}
    for row in rows:
        seen[row.mount_point] = row
    out = list(seen.values())
    if not include_pseudo:
        out = [r for r in out if r.kind != "pseudo"]
    return out
