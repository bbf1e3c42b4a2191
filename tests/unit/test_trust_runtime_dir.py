"""Finding 1 of issue 36: nothing dockerctl runs or keeps as root lives where a local user can get first.

The ssh wrapper went into `/tmp/dockerctl-ssh-wrapper-<uid>`, accepted a directory another user made, and
put it first on root's PATH. It now lives in the private runtime directory, which is refused when squatted.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from dockerctl.engines import engine as engine_mod
from dockerctl.errors import StateUnwritable
from dockerctl.hosts.paths import write_atomic
from dockerctl.hosts.state import runtime_dir

NOBODY = 65534

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "state"
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(d))
    monkeypatch.setenv("PATH", os.environ.get("PATH", "/usr/bin:/bin"))
    monkeypatch.delenv(engine_mod.SSH_CONFIG_ENV, raising=False)
    return d


def _squat(directory: Path) -> Path:
    """What a local user does: make the directory first, world-writable, theirs, with their own `ssh`."""
    directory.mkdir(parents=True)
    evil = directory / "ssh"
    evil.write_text("#!/bin/sh\necho owned > /dev/null\n")
    evil.chmod(0o777)
    os.chown(evil, NOBODY, NOBODY)
    os.chown(directory, NOBODY, NOBODY)
    directory.chmod(0o777)
    return evil


@needs_root
def test_a_squatted_tmp_wrapper_directory_is_never_put_on_path(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_tmp = tmp_path / "tmp"
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    evil = _squat(shared_tmp / f"dockerctl-ssh-wrapper-{os.getuid()}")

    directory = Path(engine_mod._ssh_wrapper("/etc/ssh/some_config"))

    first = Path(os.environ["PATH"].split(os.pathsep)[0])
    assert first == directory == state / "run" / "ssh-wrapper"
    st = first.stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (os.geteuid(), 0o700)
    found = shutil.which("ssh")
    assert found is not None and Path(found) == directory / "ssh"
    assert Path(found).resolve() != evil.resolve()
    text = Path(found).read_text()
    assert text.startswith("#!/bin/sh\nexec ") and '-F "$DOCKERCTL_SSH_CONFIG"' in text
    assert os.environ[engine_mod.SSH_CONFIG_ENV] == "/etc/ssh/some_config"


@needs_root
@pytest.mark.parametrize("where", ["run", "run/ssh-wrapper"])
def test_a_runtime_directory_another_user_made_is_refused(state: Path, where: str) -> None:
    state.mkdir(mode=0o755)
    if where != "run":
        (state / "run").mkdir(mode=0o700)
    _squat(state / where)
    path_before = os.environ["PATH"]

    with pytest.raises(StateUnwritable, match=r"belongs to uid 65534"):
        engine_mod._ssh_wrapper("/etc/ssh/some_config")
    assert os.environ["PATH"] == path_before


def test_a_runtime_directory_open_to_others_or_a_symlink_is_refused(state: Path, tmp_path: Path) -> None:
    state.mkdir(mode=0o755)
    (state / "run").mkdir(mode=0o755)
    with pytest.raises(StateUnwritable, match=r"mode 0755: others can enter it"):
        runtime_dir("x")
    (state / "run").rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (state / "run").symlink_to(elsewhere)
    with pytest.raises(StateUnwritable, match=r"is not a directory"):
        runtime_dir("x")
    assert list(elsewhere.iterdir()) == []


def test_a_state_directory_others_can_write_is_refused(state: Path) -> None:
    state.mkdir()
    state.chmod(0o777)
    with pytest.raises(StateUnwritable, match=r"others can write it"):
        runtime_dir()


def test_write_atomic_follows_no_planted_link(tmp_path: Path) -> None:
    """The old writer used the fixed name `.NAME.tmp`: a link planted there was written through."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / ".record.json.tmp").symlink_to(victim)
    record = tmp_path / "record.json"
    record.symlink_to(victim)  # and a link at the record itself is replaced, not followed

    write_atomic(record, '{"a": 1}', mode=0o600)

    assert victim.read_text() == "precious\n"
    assert not record.is_symlink() and record.read_text() == '{"a": 1}'
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".record.json.tmp", "record.json", "victim"]
