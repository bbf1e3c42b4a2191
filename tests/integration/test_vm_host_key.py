"""A VM's forwarded ssh port squatted by a local user (issue 36, finding 6b), with real sshd processes on
this machine's loopback and no VM: the guest's forward is `hostfwd=tcp:127.0.0.1:PORT-:22`, a port any
local user can bind once the guest is gone, and its ssh-port stays in the VM's run directory.

- "the guest": an sshd run as root on 127.0.0.1:PORT with the host key its image was made with and the
  VMs' client key authorized — reached through the ssh_config dockerctl writes for its VMs;
- "the squatter": once that sshd has ended, an sshd run as uid 65534 binds the same port with a key of
  its own, as a local user would. ssh through the same config must refuse it at the host key check,
  before it offers root's key or runs anything; so must dockerctl's kernel reader (SshHost).

Also measured here: the longest ssh ControlPath dockerctl uses (90 bytes) works for a real master.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockerctl.fabric import vm
from dockerctl.hosts import KernelUnreachable, SshHost

NAME = "hk9"
ALIAS = f"dctl-vm-{NAME}"
NOBODY = 65534
SSHD = "/usr/sbin/sshd"


@dataclass
class Setup:
    state: Path  # DOCKERCTL_STATE_DIR
    port: int  # the VM's forwarded port
    guest_key: Path  # the host key "made with the image" (the guest sshd's)
    config: Path  # the VMs' ssh_config, as dockerctl writes it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    pytest.fail(f"sshd on 127.0.0.1:{port} did not listen: {log.read_text(errors='replace')}")


@contextlib.contextmanager
def sshd(
    directory: Path, port: int, host_key: Path, *, authorized: Path | None, uid: int = 0
) -> Iterator[Path]:
    """An sshd on 127.0.0.1:port (foreground, ended and waited for on exit), as `uid`. → its log."""
    conf = directory / "sshd_config"
    conf.write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {host_key}\nPidFile none\nUsePAM no\nStrictModes no\n"
        f"AuthorizedKeysFile {authorized or 'none'}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nLogLevel VERBOSE\n"
    )
    log = directory / "sshd.log"
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory (run as root)
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid else []
    with open(log, "wb") as out:
        proc = subprocess.Popen([*drop, SSHD, "-D", "-e", "-f", str(conf)], stdout=out, stderr=out)
    try:
        _listening(port, proc, log)
        yield log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _control_path(host: SshHost) -> str:
    argv = host.ssh_argv()
    [path] = [a.split("=", 1)[1] for a in argv if a.startswith("ControlPath=")]
    return path


def _ssh(setup: Setup, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", str(setup.config), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", ALIAS, *command],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    if not os.path.exists(SSHD):
        pytest.fail("openssh-server is not installed (scripts/setup installs it)")
    base = tmp_path_factory.mktemp("vmkey")
    state = base / "state"
    guest_key = base / "guest" / "ssh_host_ed25519_key"
    guest_key.parent.mkdir(mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(guest_key)], check=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCKERCTL_STATE_DIR", str(state))
        vm.ensure_key()  # the VMs' client key (its public half authorized in the guest)
        run = state / "vm" / "run" / NAME  # a VM's run directory as `start` leaves it
        run.mkdir(parents=True)
        port = _free_port()
        (run / "ssh-port").write_text(f"{port}\n")
        (run / "host_key.pub").write_text(Path(f"{guest_key}.pub").read_text())
        vm._write_ssh_config()
        yield Setup(state, port, guest_key, vm.ssh_config())


def test_the_vm_ssh_config_reaches_the_guest_with_its_pinned_key(setup: Setup) -> None:
    with sshd(
        setup.guest_key.parent, setup.port, setup.guest_key, authorized=setup.state / "vm" / "id_ed25519.pub"
    ):
        done = _ssh(setup, "echo", "guest")
        assert (done.returncode, done.stdout) == (0, "guest\n"), done.stderr
        host = SshHost(f"ssh://root@{ALIAS}:{setup.port}", config=str(setup.config))
        try:
            assert host.run(["echo", "read"]).stdout == "read\n"
        finally:
            host.close()


def test_a_local_user_on_a_dead_guests_port_is_refused(setup: Setup) -> None:
    """The guest is gone; uid 65534 binds its port with a key of its own. Nothing reaches it."""
    squat = Path(tempfile.mkdtemp(prefix="squat-"))  # the squatter's own files, readable by it
    try:
        squat.chmod(0o755)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(squat / "key")], check=True)
        (squat / "sshd.log").touch()
        for p in (squat, *squat.iterdir()):
            os.chown(p, NOBODY, NOBODY)
        with sshd(squat, setup.port, squat / "key", authorized=None, uid=NOBODY) as log:
            done = _ssh(setup, "echo", "squatter")
            assert done.returncode == 255 and done.stdout == ""
            assert "Host key verification failed" in done.stderr, done.stderr
            host = SshHost(f"ssh://root@{ALIAS}:{setup.port}", config=str(setup.config))
            with pytest.raises(KernelUnreachable, match="Host key verification failed"):
                host.run(["cat", "/proc/self/cgroup"])
            host.close()
            time.sleep(0.5)  # sshd logs a closed connection after the client has gone
            said = log.read_text(errors="replace")
        # it was the squatter that answered (both clients got as far as its key: "[preauth]") …
        assert said.count("[preauth]") == 2, said
        assert "user root" not in said, said  # … and ssh left before offering root's key or any command
        assert vm._wrong_host_key(done.stderr)  # what `vm.start` fails on at once instead of retrying
    finally:
        shutil.rmtree(squat)


def test_the_longest_control_path_works_for_a_real_master(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 90-byte ControlPath: ssh binds its master at that path plus 17 characters (sun_path holds 107)."""
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        url = f"ssh://root@{ALIAS}:{setup.port}"
        monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(base / "probe"))
        name = Path(_control_path(SshHost(url, config=str(setup.config)))).name  # in <state>/run/ssh
        tail = len(os.fsencode(f"/run/ssh/{name}"))
        monkeypatch.setenv(
            "DOCKERCTL_STATE_DIR", str(base / ("d" * (90 - tail - len(os.fsencode(base)) - 1)))
        )
        with sshd(
            setup.guest_key.parent,
            setup.port,
            setup.guest_key,
            authorized=setup.state / "vm" / "id_ed25519.pub",
        ):
            host = SshHost(url, config=str(setup.config))
            control = _control_path(host)
            assert len(os.fsencode(control)) == 90
            try:
                assert host.run(["echo", "multiplexed"]).stdout == "multiplexed\n"
                assert Path(control).is_socket()  # the master is up, at exactly that path
                assert host.run(["echo", "again"]).stdout == "again\n"
            finally:
                host.close()
            deadline = time.monotonic() + 10
            while Path(control).exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not Path(control).exists()
    finally:
        shutil.rmtree(base)


def test_an_image_is_built_with_its_host_key_in_the_disk_and_pinned_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_image for real (ssh-keygen, mkfs.ext4 -d) but for debootstrap, which is replaced by a root
    holding what the Debian packages would leave: a kernel, an initrd and openssh-server's own host keys.
    The disk holds exactly the pinned key and is root's alone; the keys the package made are gone."""
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    real_run = vm._run

    def fake_debootstrap(argv: list[str], *, timeout: float, what: str) -> str:
        if argv[0] != "debootstrap":
            return real_run(argv, timeout=timeout, what=what)
        root = Path(argv[-2])
        for d in ("boot", "etc/ssh", "lib/systemd/system"):
            (root / d).mkdir(parents=True)
        (root / "boot" / "vmlinuz-6.1.0-test").write_bytes(b"kernel")
        (root / "boot" / "initrd.img-6.1.0-test").write_bytes(b"initrd")
        for kind in ("rsa", "ecdsa", "ed25519"):  # what openssh-server's postinst makes in the chroot
            (root / "etc/ssh" / f"ssh_host_{kind}_key").write_text("made by the package\n")
            (root / "etc/ssh" / f"ssh_host_{kind}_key.pub").write_text("made by the package\n")
        return ""

    monkeypatch.setattr(vm, "_run", fake_debootstrap)
    image = vm.build_image()
    assert image == vm.image_dir() and sorted(p.name for p in image.iterdir()) == sorted(vm.IMAGE_FILES)
    assert os.stat(image / "disk.img").st_mode & 0o777 == 0o600  # it holds the guest's private host key
    assert os.stat(image.parent).st_mode & 0o077 == 0
    pinned = (image / "host_key.pub").read_text().strip()

    def in_disk(request: str) -> str:
        done = subprocess.run(
            ["debugfs", "-R", request, str(image / "disk.img")], capture_output=True, text=True, check=True
        )
        return done.stdout

    listed = {line.split()[-1] for line in in_disk("ls -l /etc/ssh").splitlines() if line.strip()}
    assert {n for n in listed if n.startswith("ssh_host_")} == {
        "ssh_host_ed25519_key",
        "ssh_host_ed25519_key.pub",
    }
    private = tmp_path / "guest_key"
    private.write_text(in_disk(f"cat {vm.HOST_KEY}"))
    private.chmod(0o600)
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(private)], capture_output=True, text=True, check=True
    )
    assert vm.host_key_line(derived.stdout) == pinned  # the guest's key is the one pinned beside the image
    assert f"HostKey {vm.HOST_KEY}" in in_disk("cat /etc/ssh/sshd_config.d/dockerctl.conf")
    mode = in_disk(f"stat {vm.HOST_KEY}")
    assert "Mode:  0600" in mode and "User:     0" in mode, mode
    assert vm.build_image() == image  # cached: whole, with its pinned key
