"""Parser of /proc/<pid>/mountinfo (proc(5)); used for cgroup mounts now and container mounts later."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    # the kernel escapes space, tab, newline and backslash in paths as \ooo
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


@dataclass(frozen=True)
class Mount:
    mount_id: int
    parent_id: int
    device: str  # MAJ:MIN
    root: str  # the directory of the filesystem that is mounted here
    mount_point: str
    options: tuple[str, ...]  # per-mount options (rw, nosuid, …)
    optional: tuple[str, ...]  # shared:N, master:N, propagate_from:N, unbindable
    fstype: str
    source: str
    super_options: tuple[str, ...]  # per-superblock options (for cgroup v1: the controllers)

    @property
    def read_only(self) -> bool:
        return "ro" in self.options

    @property
    def propagation(self) -> str:
        kinds = [o.split(":")[0] for o in self.optional]
        if "shared" in kinds:
            return "shared"
        if "master" in kinds:
            return "slave"
        if "unbindable" in kinds:
            return "unbindable"
        return "private"


def parse_mountinfo(text: str) -> list[Mount]:
    mounts: list[Mount] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(" ")
        try:
            sep = fields.index("-", 6)
            mounts.append(
                Mount(
                    mount_id=int(fields[0]),
                    parent_id=int(fields[1]),
                    device=fields[2],
                    root=_unescape(fields[3]),
                    mount_point=_unescape(fields[4]),
                    options=tuple(fields[5].split(",")),
                    optional=tuple(f for f in fields[6:sep] if f),
                    fstype=fields[sep + 1],
                    source=_unescape(fields[sep + 2]),
                    super_options=tuple(fields[sep + 3].split(",")) if len(fields) > sep + 3 else (),
                )
            )
        except (ValueError, IndexError) as exc:
            raise ValueError(f"mountinfo line {lineno} is not in proc(5) format: {line!r}") from exc
    return mounts
