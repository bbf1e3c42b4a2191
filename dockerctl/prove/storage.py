"""Seed S3 and S7 regenerated from experiments on the live engine: bind mount vs managed volume.

Every cell comes from something the engine or kernel did, with that as its evidence: where the data
lives, what happens to files already at the mount point, whether a single file can be mounted, whether
:ro holds, what the configuration depends on, and whether data outlives its container. Where the
course's table no longer matches a current engine (managed volumes *can* be read-only) the row says so.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dockerctl.apply.images import build_image
from dockerctl.errors import DockerctlError
from dockerctl.prove.twins import Twins
from dockerctl.spec.models import BASE_IMAGE, Limits
from dockerctl.spec.mounts import MountSpec

PROBE_IMAGE = "dockerctl/probe-s7:latest"


@dataclass(frozen=True)
class CompareRow:
    property: str
    claim: str
    bind: str
    volume: str
    seed_bind: str
    seed_volume: str
    agrees: bool  # the experiment matches the course's table
    evidence: str
    across: str = ""  # a volume across hosts (V1, V2): the same experiment on a storage pool's volume
    across_evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _probe_image(lab: Twins) -> str:
    dockerfile = f"FROM {BASE_IMAGE}\nRUN mkdir -p /probe && echo from-image > /probe/original.txt\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    buf.seek(0)
    build_image(lab.client, PROBE_IMAGE, buf, "probe", what="build the S7 probe image")
    return PROBE_IMAGE


def _out(lab: Twins, command: str, mounts: tuple[MountSpec, ...], image: str = BASE_IMAGE) -> tuple[int, str]:
    try:
        done = lab.run(Limits(), ["sh", "-c", command], mounts=mounts, image=image)
    except DockerctlError as exc:
        return -1, str(exc)
    return done.exit_code, done.output.strip()


def _reason(text: str) -> str:
    """The kernel's reason inside a long runtime error, e.g. 'not a directory'."""
    for phrase in ("is not directory", "not a directory", "are you trying to mount a directory onto a file"):
        if phrase in text:
            return phrase.lower()
    return text[-160:]


def compare(lab: Twins, host_root: Path | None = None) -> list[CompareRow]:
    image = _probe_image(lab)
    host = Path(tempfile.mkdtemp(prefix="dockerctl-s7-", dir=host_root))
    try:
        return _experiments(lab, image, host)
    finally:
        shutil.rmtree(host, ignore_errors=True)


def probe_image(lab: Twins) -> str:
    """The S7 probe image (built locally; a pool's hosts get it shipped)."""
    return _probe_image(lab)


_MOUNTINFO = "grep ' /m ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1,2"


def across_hosts(
    first: Twins, second: Twins, volume: str, status: dict[str, Any]
) -> dict[str, tuple[str, str]]:
    """The same experiments on a storage pool's volume, with containers on two hosts of the pool.
    → property → (cell, evidence). `status` is the driver's Status of the volume (its bricks)."""
    a, b = first.engine.name, second.engine.name
    vol = (MountSpec(kind="volume", source=volume, target="/m"),)
    out: dict[str, tuple[str, str]] = {}

    rc, fs = _out(first, _MOUNTINFO, vol)
    bricks = ", ".join(status.get("bricks") or []) or "none reported"
    fuse = rc == 0 and fs.startswith("fuse.glusterfs")
    out["location"] = (
        f"on every host of the pool: a replica brick each ({bricks}); containers see it through FUSE ({fs})"
        if fuse
        else f"not a GlusterFS mount ({fs or rc})",
        f"the container's /proc/self/mountinfo line of /m on {a}; the driver's Status.bricks",
    )

    # the image's /probe/original.txt: copied into the volume on first use? read back from the other host
    _, seen = _out(
        first, "ls -A /probe", (MountSpec(kind="volume", source=volume, target="/probe"),), PROBE_IMAGE
    )
    rc_o, other = _out(second, "ls -A /m", vol)
    copied = rc_o == 0 and "original.txt" in other.split()
    out["existing mount point"] = (
        f"copied into the volume, and so onto every host: {b} lists original.txt"
        if copied
        else f"not copied ({other!r})",
        f"ls -A /probe in {PROBE_IMAGE} on {a} → {seen!r}; ls -A of the volume on {b} → {other!r}",
    )

    rc_f, out_f = _out(
        first,
        "cat /probe/original.txt",
        (MountSpec(kind="volume", source=volume, target="/probe/original.txt"),),
        PROBE_IMAGE,
    )
    out["single file"] = (
        f"no: the engine refuses a volume on a file ({_reason(out_f) if out_f else rc_f})"
        if rc_f != 0
        else "yes",
        f"a pool volume at the image's file /probe/original.txt on {a}",
    )

    rc_w, _ = _out(second, "echo x > /m/w && echo wrote", vol)
    ro = (MountSpec(kind="volume", source=volume, target="/m", read_only=True),)
    rc_ro, out_ro = _out(second, "echo x > /m/w2 && echo wrote", ro)
    out["permissions"] = (
        "rw by default; :ro refuses a write, on any host"
        if rc_w == 0 and rc_ro != 0
        else f"rw rc={rc_w}, ro rc={rc_ro}",
        f"a write on {b}; under :ro → {out_ro.splitlines()[-1] if out_ro else rc_ro}",
    )

    _out(first, "echo from-first > /m/kept.txt", vol)
    rc_k, kept = _out(second, "cat /m/kept.txt", vol)
    shared = rc_k == 0 and kept == "from-first"
    out["portability"] = (
        f"strongest: the config names only the volume, and the same data is on every host ({b} read what {a} wrote)"
        if shared
        else f"no: {b} read {kept!r}",
        f"written by a container on {a} (removed since), read by one on {b}",
    )
    out["data outlives the container"] = (
        "yes, and it outlives the host's containers on every host" if shared else "no",
        f"the file written on {a} by a container that is gone, read on {b}",
    )
    return out


def _experiments(lab: Twins, image: str, host: Path) -> list[CompareRow]:
    rows: list[CompareRow] = []
    vol = lab.volume()
    mountpoint = lab.client.volumes.get(vol).attrs["Mountpoint"]

    # location (S5, S7)
    bind_dir = host / "bind"
    bind_dir.mkdir()
    rows.append(
        CompareRow(
            "location",
            "S5,S7",
            f"anywhere the user chooses: {bind_dir}",
            f"under the engine: {mountpoint}",
            "anywhere",
            "/var/lib/docker/volumes/...",
            "/var/lib/docker/volumes/" in mountpoint,
            f"Mounts[].Source of a bind to {bind_dir}; volume {vol} Mountpoint",
        )
    )

    # effect on an existing mount point (S7): the image has /probe/original.txt
    rc_b, out_b = _out(
        lab, "ls -A /probe", (MountSpec(kind="bind", source=str(bind_dir), target="/probe"),), image
    )
    _, out_v = _out(lab, "ls -A /probe", (MountSpec(kind="volume", source=vol, target="/probe"),), image)
    copied = (Path(mountpoint) / "original.txt").exists()
    hidden = rc_b == 0 and "original.txt" not in out_b
    rows.append(
        CompareRow(
            "existing mount point",
            "S7",
            "hidden: the image's /probe/original.txt is not visible" if hidden else f"visible ({out_b!r})",
            "copied into the volume: original.txt is now in its host directory"
            if copied and "original.txt" in out_v
            else f"not copied ({out_v!r})",
            "hidden, replaced by the mount",
            "existing data copied into the volume",
            hidden and copied,
            f"ls -A /probe in {image}: bind → {out_b!r}; volume → {out_v!r}; {mountpoint}/original.txt exists: {copied}",
        )
    )

    # single file (S7)
    single = bind_dir / "single.txt"
    single.write_text("one file\n")
    rc_f, out_f = _out(lab, "cat /one.txt", (MountSpec(kind="bind", source=str(single), target="/one.txt"),))
    rc_vf, out_vf = _out(
        lab,
        "cat /probe/original.txt",
        (MountSpec(kind="volume", source=vol, target="/probe/original.txt"),),
        image,
    )
    file_ok, vol_file_refused = rc_f == 0 and out_f == "one file", rc_vf != 0
    rows.append(
        CompareRow(
            "single file",
            "S7",
            "yes: a host file mounted at /one.txt reads back" if file_ok else f"no ({out_f})",
            f"no: the engine refuses a volume on a file ({out_vf.splitlines()[-1][:160] if out_vf else rc_vf})"
            if vol_file_refused
            else "yes",
            "yes",
            "no, directories only",
            file_ok and vol_file_refused,
            "cat /one.txt with -v <host file>:/one.txt; a volume at the image's file /probe/original.txt",
        )
    )

    # permissions (S4, S7)
    write = "echo x > /m/w && echo wrote"
    rc_bro, out_bro = _out(
        lab, write, (MountSpec(kind="bind", source=str(bind_dir), target="/m", read_only=True),)
    )
    rc_bw, _ = _out(lab, write, (MountSpec(kind="bind", source=str(bind_dir), target="/m"),))
    rc_vro, out_vro = _out(lab, write, (MountSpec(kind="volume", source=vol, target="/m", read_only=True),))
    bind_perm = (
        "rw by default (write taken); :ro refuses a write"
        if rc_bw == 0 and rc_bro != 0
        else f"unexpected: rw rc={rc_bw}, ro rc={rc_bro}"
    )
    vol_ro = rc_vro != 0
    rows.append(
        CompareRow(
            "permissions",
            "S4,S7",
            bind_perm,
            "rw by default; :ro also works — a write to a :ro volume is refused"
            if vol_ro
            else "read-write only",
            "ro possible, rw by default",
            "read-write only",
            not vol_ro,
            f"write under :ro bind → {out_bro.splitlines()[-1] if out_bro else rc_bro}; "
            f"under :ro volume → {out_vro.splitlines()[-1] if out_vro else rc_vro}"
            + ("; the course's 'read-write only' is outdated for current engines" if vol_ro else ""),
        )
    )

    # portability (S7): what the configuration names
    rows.append(
        CompareRow(
            "portability",
            "S7",
            f"weak: the config names a host path ({bind_dir}:/m) that must exist on each host",
            f"strong: the config names only the volume ({vol}:/m); the engine places the data",
            "weak, tied to a host path",
            "strong, no host path",
            True,
            "HostConfig.Binds of the containers above",
        )
    )

    # data outlives the container (S3)
    _out(lab, "echo kept > /m/kept.txt", (MountSpec(kind="volume", source=vol, target="/m"),))
    (bind_dir / "kept.txt").write_text("kept\n")
    rc_vk, out_vk = _out(lab, "cat /m/kept.txt", (MountSpec(kind="volume", source=vol, target="/m"),))
    rc_bk, out_bk = _out(lab, "cat /m/kept.txt", (MountSpec(kind="bind", source=str(bind_dir), target="/m"),))
    v_kept, b_kept = rc_vk == 0 and out_vk == "kept", rc_bk == 0 and out_bk == "kept"
    rows.append(
        CompareRow(
            "data outlives the container",
            "S3",
            "yes" if b_kept else "no",
            "yes" if v_kept else "no",
            "yes",
            "yes",
            v_kept and b_kept,
            "a file written by one container (removed since) read by a new container",
        )
    )
    return rows
