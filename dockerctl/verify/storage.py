"""Judging what a volume kept (seed S3): data one container wrote, read back by another after the writer
(and any reader) was removed."""

from __future__ import annotations

from dockerctl.verify.verdict import Check, held


def still_holds(
    subject: str, wanted: str, exit_code: int, output: str, evidence: str, *, first_line: bool = False
) -> Check:
    """The read found `wanted` (anywhere in its output, or as its whole first line when `first_line`)."""
    kept = exit_code == 0 and (output.splitlines()[:1] == [wanted] if first_line else wanted in output)
    return Check(subject, "S3", f"still holds {wanted!r}", repr(output.strip()[:80]), held(kept), evidence)


# ---- storage across hosts (seed V1, V2): a lab's GlusterFS pool ----

POOL_FS = "fuse.glusterfs"


def shared(
    subject: str, token: str, wrote: tuple[int, tuple[str, str]], read: tuple[int, str, tuple[str, str]],
    *, hosts: tuple[str, str], target: str, evidence: str,
) -> Check:  # fmt: skip
    """One volume, two hosts (V2): what the writer on hosts[0] wrote (`token`), the reader on hosts[1]
    read back as its first line, each through the pool's mount at `target`. wrote: the writer's exit code
    and its mount (fstype, source); read: the reader's exit code, output and mount."""
    w_exit, (w_fs, w_src) = wrote
    r_exit, output, (r_fs, r_src) = read
    got = output.splitlines()[0].strip() if output.strip() else ""
    source, to = hosts
    ok = w_exit == 0 and r_exit == 0 and got == token and w_fs == r_fs == POOL_FS
    return Check(
        subject,
        "V2",
        f"the same data on both hosts, each through {POOL_FS} at {target}",
        f"{to} read {got or output.strip()[:60]!r} (written {token!r}); mounts: "
        f"{source} {w_fs or 'none'} {w_src}, {to} {r_fs or 'none'} {r_src}",
        held(ok),
        evidence,
    )


def capacity(
    subject: str, size_mb: float, write_mb: int, total_mb: float, refused: bool, evidence: str
) -> Check:
    """A volume of a given size (V1): df shows about that much (ext4's journal and tables take some),
    and a write larger than it is refused."""
    ok = refused and 0.75 * size_mb <= total_mb <= 1.01 * size_mb
    return Check(
        subject,
        "V1",
        f"about {size_mb:.0f} MB, a {write_mb} MB write refused",
        f"{total_mb:.0f} MB (df); the write "
        + ("stopped: No space left on device" if refused else "was not stopped"),
        held(ok),
        evidence,
    )


def replica_serves(
    volume: str,
    down: str,
    up: str,
    *,
    offline: bool,
    exits_ok: bool,
    lines: list[str],
    token: str,
    evidence: str,
) -> Check:
    """With `down`'s engine and brick stopped (its brick offline), `up` still read what was written before
    and wrote anew (V2: the replica serves)."""
    ok = exits_ok and lines == [token, f"{token}-during"] and offline
    return Check(
        f"volume {volume} with {down} down",
        "V2",
        f"{up} still reads and writes (the replica)",
        f"engine of {down} stopped, its brick {'offline' if offline else 'still online'}; "
        f"{up} read {lines[:1]} and wrote {lines[1:2]}",
        held(ok),
        evidence,
    )


def healed(volume: str, down: str, was_healed: bool, within: int, evidence: str) -> Check:
    """`down`'s brick, back, holds what was written while it was down (V2: self-heal)."""
    return Check(
        f"volume {volume}: {down} back",
        "V2",
        f"{down}'s brick holds what was written while it was down",
        "healed" if was_healed else f"not healed within {within} s",
        held(was_healed),
        evidence,
    )


def file_contains(subject: str, wanted: str, exit_code: int, text: str, evidence: str) -> Check:
    """A file read inside a container holds `wanted` (S3: what a volume or volume container gave it)."""
    ok = exit_code == 0 and wanted in text
    if exit_code != 0:
        observed = f"unreadable: {text.strip()[:80]}"
    elif ok:
        observed = f"contains {wanted!r}"
    else:
        observed = f"does not contain it; starts {text.strip()[:60]!r}"
    return Check(subject, "S3", f"contains {wanted!r}", observed, held(ok), evidence)


def removed_with_container(anonymous: str, named: str, volume: str, left: set[str]) -> list[Check]:
    """After `docker rm -v` (S9): the container's anonymous volume went with it, the named one stayed.
    left: the names of the volumes on the engine afterwards."""
    return [
        Check("rm -v: the anonymous volume", "S9", "removed with the container",
              "gone" if anonymous not in left else "still there", held(anonymous not in left),
              f"volume {anonymous[:12]}… after rm -v"),
        Check(f"rm -v: the named volume {volume}", "S9", "kept", "kept" if named in left else "gone",
              held(named in left), f"volume {named} after rm -v"),
    ]  # fmt: skip
