"""The ssh master's control socket (issue 36, finding 6a): whoever can put a socket at the ControlPath
answers every kernel read dockerctl makes over ssh. It lives in dockerctl's private runtime directory
(`<state>/run/ssh`, root's, 0700), never in the shared temporary directory; a runtime directory another
user made first is refused; a path too long for a unix socket turns multiplexing off instead of failing."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerctl.errors import StateUnwritable
from dockerctl.hosts import SshHost

URL = "ssh://root@198.18.21.2:2222"
# sun_path[108] holds 107 bytes and a NUL; ssh binds its master at "<ControlPath>.<16 random characters>"
SOCKET_PATH_MAX = 107 - 17
NOBODY = 65534


def _options(argv: list[str]) -> dict[str, str]:
    """`-o Key=Value` pairs of an ssh command line."""
    return dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-o")


@pytest.fixture
def short_base() -> Iterator[Path]:
    """A directory with a short path (pytest's own are too long for a socket under them), removed after."""
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        yield base
    finally:
        shutil.rmtree(base)


@pytest.fixture
def shared_tmp(tmp_path: Path, short_base: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared temporary directory (what `tempfile.gettempdir()` answers) and, apart from it, the state
    directory dockerctl is given (`<short_base>/state`)."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir(mode=0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(short_base / "state"))
    assert tempfile.gettempdir() == str(shared)
    return shared


def test_the_control_socket_is_in_the_private_runtime_dir_never_in_the_shared_tmp(
    shared_tmp: Path, short_base: Path
) -> None:
    host = SshHost(URL)
    opts = _options(host.ssh_argv())
    control = Path(opts["ControlPath"])
    assert opts["ControlMaster"] == "auto" and opts["ControlPersist"] == "60"
    assert control.parent == short_base / "state" / "run" / "ssh"
    assert not control.is_relative_to(shared_tmp) and not control.is_relative_to(tempfile.gettempdir())
    assert list(shared_tmp.iterdir()) == []  # nothing made in the shared directory either
    for directory in (control.parent, control.parent.parent):  # run/ssh and run: root's, 0700
        st = os.lstat(directory)
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
        assert st.st_uid == os.geteuid() == 0
    # one master per process and URL/config: another config is another socket, in the same directory
    other = Path(_options(SshHost(URL, config="/etc/ssh/other_config").ssh_argv())["ControlPath"])
    assert other.parent == control.parent and other != control
    assert control.name.startswith(f"{os.getpid()}-")
    assert len(os.fsencode(control)) <= SOCKET_PATH_MAX


@pytest.mark.parametrize("squatted", ["run", "run/ssh"])
def test_a_runtime_dir_another_user_made_first_is_refused(
    shared_tmp: Path, short_base: Path, squatted: str
) -> None:
    state = short_base / "state"
    state.mkdir(mode=0o755)
    for part in ("run", squatted):
        (state / part).mkdir(mode=0o700, exist_ok=True)
    os.chown(state / squatted, NOBODY, NOBODY)  # a local user's, made before dockerctl ran
    with pytest.raises(StateUnwritable, match=f"belongs to uid {NOBODY}"):
        SshHost(URL).ssh_argv()
    assert list((state / squatted).iterdir()) == []


def test_a_symlinked_or_open_runtime_dir_is_refused(
    shared_tmp: Path, short_base: Path, tmp_path: Path
) -> None:
    state = short_base / "state"
    state.mkdir(mode=0o755)
    (state / "run").mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (state / "run" / "ssh").symlink_to(elsewhere)
    with pytest.raises(StateUnwritable, match="is not a directory"):
        SshHost(URL).ssh_argv()
    (state / "run" / "ssh").unlink()
    (state / "run" / "ssh").mkdir(mode=0o700)
    os.chmod(state / "run" / "ssh", 0o755)  # others can enter it: not private
    with pytest.raises(StateUnwritable, match="others can enter it"):
        SshHost(URL).ssh_argv()


def test_a_state_dir_too_long_for_a_socket_turns_multiplexing_off(
    shared_tmp: Path, short_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ssh binds the master at `<ControlPath>.<16 random characters>`: a path over 90 bytes would fail
    with 'path too long'; dockerctl then runs each command over a connection of its own."""
    name = Path(_options(SshHost(URL).ssh_argv())["ControlPath"]).name  # in <state>/run/ssh
    tail = len(os.fsencode(f"/run/ssh/{name}"))
    for extra, multiplexed in ((0, True), (1, False)):  # the longest path that fits, and one byte more
        deep = short_base / ("d" * (SOCKET_PATH_MAX - tail - len(os.fsencode(short_base)) - 1 + extra))
        monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(deep))
        argv = SshHost(URL).ssh_argv()
        opts = _options(argv)
        if multiplexed:
            assert len(os.fsencode(opts["ControlPath"])) == SOCKET_PATH_MAX
            assert opts["ControlMaster"] == "auto", argv
        else:
            assert (opts["ControlMaster"], opts["ControlPath"]) == ("no", "none"), argv
            assert "ControlPersist" not in opts
        assert all(not a.startswith(str(shared_tmp)) for a in argv)


def test_closing_an_unused_host_makes_nothing(shared_tmp: Path, short_base: Path) -> None:
    SshHost(URL).close()
    assert not (short_base / "state").exists()
