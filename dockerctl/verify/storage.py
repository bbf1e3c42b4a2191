"""Judging what a volume kept (seed S3): data one container wrote, read back by another after the writer
(and any reader) was removed."""

from __future__ import annotations

from dockerctl.verify.checks import Check, held


def still_holds(
    subject: str, wanted: str, exit_code: int, output: str, evidence: str, *, first_line: bool = False
) -> Check:
    """The read found `wanted` (anywhere in its output, or as its whole first line when `first_line`)."""
    kept = exit_code == 0 and (output.splitlines()[:1] == [wanted] if first_line else wanted in output)
    return Check(subject, "S3", f"still holds {wanted!r}", repr(output.strip()[:80]), held(kept), evidence)
