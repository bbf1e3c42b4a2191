"""A compose project written the way compose's documentation shares settings — an `x-` extension field
with an anchor, services taking it with a merge key — brought up by the real Docker Compose v2 and checked
by `compose verify` with both readers: every limit that came through the merge is judged from the kernel
at the line the anchor writes it, and a limit changed behind compose's back is still reported."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest

from tests.integration.kernel import read
from tests.integration.test_compose_live import SLEEP, B, Up, _line, _pid, _row, _verify, up

__all__ = ["up"]  # the fixture, shared with test_compose_live


def _both(f: Path, written: str, brought: str) -> str:
    """FILE:LINE of the anchor's line that writes a value, and the line whose merge key brought it in."""
    return f"{_line(f, written)} (brought in at line {_line(f, brought).rsplit(':', 1)[1]})"


MERGED = f"""\
name: {{name}}
x-limits: &limits
  mem_limit: 64m
  cpus: 0.5
  pids_limit: 50
x-small: &small
  mem_limit: 32m
services:
  web:
    image: {B}
    command: {SLEEP}
    <<: *limits
  worker:
    image: {B}
    command: {SLEEP}
    <<: [*small, *limits]
"""


@pytest.mark.parametrize("reader", [[], ["--own-reader"]], ids=["compose-v2", "own-reader"])
def test_limits_through_anchors_and_merge_keys_are_checked_at_their_line(
    up: Up, engine: docker.DockerClient, reader: list[str]
) -> None:
    name = f"dctltest-{uuid.uuid4().hex[:8]}"
    f, _ = up(MERGED.format(name=name), name=name)
    code, data, err = _verify("-f", str(f), *reader)
    assert code == 0, (err, [r for r in data.get("rows", []) if not r["ok"]])
    web, worker = f"{name}-web-1", f"{name}-worker-1"
    for key, text in (
        ("mem_limit", "mem_limit: 64m"),
        ("cpus", "cpus: 0.5"),
        ("pids_limit", "pids_limit: 50"),
    ):
        row = _row(data, web, key)
        assert row["verdict"] == "enforced", row
        assert row["where"] == _both(f, text, "    <<: *limits"), row  # the anchor's line and the merge's
    # a list merge: the first mapping that has the key wins (YAML's rule, and compose's)
    mem = _row(data, worker, "mem_limit")
    assert mem["verdict"] == "enforced" and mem["where"] == _both(f, "mem_limit: 32m", "<<: [*small"), mem
    assert _row(data, worker, "pids_limit")["where"] == _both(f, "pids_limit: 50", "<<: [*small")
    assert read(_pid(engine, web), "pids", "pids.max") == "50"  # the kernel's own word, read here

    engine.containers.get(web).update(mem_limit="48m", memswap_limit="96m")  # behind compose's back
    code, data, _ = _verify("-f", str(f), *reader)
    assert code == 1
    changed = _row(data, web, "mem_limit")
    assert changed["verdict"] == "mismatch" and changed["engine"] == "48MiB", changed
    assert changed["where"] == _both(f, "mem_limit: 64m", "    <<: *limits")
    assert _row(data, worker, "mem_limit")["verdict"] == "enforced"


def test_what_no_kernel_can_hold_is_said_plainly(tmp_path: Path, engine: docker.DockerClient) -> None:
    """Compose reads a 29-digit memory and negative CPUs; the engine creates no container for them:
    verify says why, at the line, instead of only 'not running'."""
    f = tmp_path / "compose.yaml"
    f.write_text(
        f"name: dctltest-{uuid.uuid4().hex[:8]}\nservices:\n  web:\n    image: {B}\n"
        "    mem_limit: '99999999999999999999999999999'\n    cpus: -1\n"
    )
    for reader in ([], ["--own-reader"]):
        code, _, err = _verify("-f", str(f), *reader)
        assert code == 2, err
        assert f"{f}:5" in err and "past the engine's int64" in err, err
        assert "negative number of CPUs" in err, err
