"""Files dockerctl writes as root (issue 36, finding 9): a picture, a page or a record is written whole to
a uniquely named temporary and renamed into place — a symlink at the target is replaced, never written
through, and no guessable name beside it (a probe, a temporary, a lock's holder) is ever opened, so a
local user who planted a link there cannot make root overwrite a file of their choosing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerctl.errors import StateUnwritable

PLAYBOOKS = Path(__file__).parents[2] / "playbooks"
PRECIOUS = "a file elsewhere that root must not overwrite\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the output directory, which a planted symlink points at."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = elsewhere / "precious"
    path.write_text(PRECIOUS)
    return path


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    return d


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "state"
    d.mkdir()
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(d))
    yield d


def test_graph_out_replaces_a_symlink_and_leaves_the_file_it_named_alone(victim: Path, out_dir: Path) -> None:
    link = out_dir / "lab.dot"
    link.symlink_to(victim)
    done = subprocess.run(
        [sys.executable, "-m", "dockerctl", "graph", str(PLAYBOOKS / "networks.yaml"), "--out", str(link)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == PRECIOUS  # not written through
    assert not link.is_symlink() and link.read_text().startswith(("digraph", "graph"))
    assert sorted(p.name for p in out_dir.iterdir()) == ["lab.dot"]  # no temporary left beside it


def test_a_target_check_never_opens_a_planted_probe_name(victim: Path, out_dir: Path) -> None:
    from dockerctl.pictures.files import check_target

    planted = out_dir / ".lab.svg.dockerctl-probe"  # the name the check used to write and remove
    planted.symlink_to(victim)
    check_target(out_dir / "lab.svg", "--out")
    assert victim.read_text() == PRECIOUS
    assert planted.is_symlink()  # not ours: left where it is


def test_plot_and_tour_pages_replace_a_symlink_at_their_path(victim: Path, out_dir: Path) -> None:
    from dockerctl.pictures.pages import write_index
    from dockerctl.pictures.plot import write_plot

    plot, index = out_dir / "bench.svg", out_dir / "index.html"
    plot.symlink_to(victim)
    index.symlink_to(victim)
    write_plot(plot, {"paths": [], "repeat": 1, "seconds": 1})
    write_index([], index)
    assert victim.read_text() == PRECIOUS
    assert plot.read_text().startswith("<svg") and "<h1>tour</h1>" in index.read_text()
    assert not plot.is_symlink() and not index.is_symlink()


def test_write_atomic_never_follows_a_planted_temporary_name(victim: Path, out_dir: Path) -> None:
    from dockerctl.hosts.paths import write_atomic
    from dockerctl.pictures.files import write_bytes_atomic

    for name in ("record.json", "picture.png"):
        (out_dir / f".{name}.tmp").symlink_to(victim)  # the fixed temporary name of the old writer
    write_atomic(out_dir / "record.json", "{}")
    write_bytes_atomic(out_dir / "picture.png", b"\x89PNG")
    assert victim.read_text() == PRECIOUS
    assert (out_dir / "record.json").read_text() == "{}"
    assert (out_dir / "picture.png").read_bytes() == b"\x89PNG"
    assert (out_dir / ".record.json.tmp").is_symlink()  # not ours: left alone


def test_the_lab_lock_never_opens_a_planted_name(victim: Path, state: Path) -> None:
    from dockerctl.engines.locks import lab_lock

    locks = state / "locks"
    locks.mkdir()
    (locks / f".write-probe-{os.getpid()}").symlink_to(victim)  # the probe's old, guessable name
    (locks / "lab-a.holder").symlink_to(victim)
    with lab_lock("lab-a"):
        assert victim.read_text() == PRECIOUS
        assert "pid" in (locks / "lab-a.holder").read_text()
    assert victim.read_text() == PRECIOUS

    (locks / "lab-b.lock").symlink_to(victim)
    with pytest.raises(StateUnwritable, match=r"lab-b\.lock cannot be opened"), lab_lock("lab-b"):
        pass
    assert victim.read_text() == PRECIOUS
