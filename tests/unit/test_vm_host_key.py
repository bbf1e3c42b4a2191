"""A VM's ssh host key is pinned (issue 36, finding 6b). The guest's sshd is forwarded to a loopback port
that any local user can bind — a dead guest's port included — so the ssh_config dockerctl writes for its
VMs checks the host key strictly against the key made with the image, under the VM's alias; an image
made without a pinned key is built again, never used; what is secret is written root's alone."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from dockerctl.errors import EngineError
from dockerctl.fabric import vm


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _keypair(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    kind, blob = Path(f"{path}.pub").read_text().split()[:2]  # its comment dropped
    return f"{kind} {blob}"


def _config_lines(text: str, alias: str) -> dict[str, str]:
    block = text.split(f"Host {alias}\n", 1)[1].split("\nHost ", 1)[0]
    return dict(line.strip().split(" ", 1) for line in block.splitlines() if line.strip())


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def _booted(name: str, port: int, public: str | None) -> vm.Vm:
    """A VM's run directory as `start` leaves it (without qemu): its port and, if given, its pinned key."""
    machine = vm.Vm(name)
    machine.dir.mkdir(parents=True)
    (machine.dir / "ssh-port").write_text(f"{port}\n")
    if public is not None:
        (machine.dir / "host_key.pub").write_text(f"{public} dctl-vm\n")
    return machine


def test_the_vm_ssh_config_pins_the_images_host_key(state: Path, tmp_path: Path) -> None:
    public = _keypair(tmp_path / "host_key")
    _booted("v2", 40022, public)
    vm._write_ssh_config()
    config = (state / "vm" / "ssh_config").read_text()
    known = state / "vm" / "known_hosts"
    opts = _config_lines(config, "dctl-vm-v2")
    assert opts["StrictHostKeyChecking"] == "yes"
    assert opts["UserKnownHostsFile"] == str(known) and opts["GlobalKnownHostsFile"] == "/dev/null"
    assert opts["HostKeyAlias"] == "dctl-vm-v2"  # the key is looked up by alias: the port does not matter
    assert (opts["HostName"], opts["Port"]) == ("127.0.0.1", "40022")
    assert "StrictHostKeyChecking no" not in config and "UserKnownHostsFile /dev/null" not in config
    assert known.read_text() == f"dctl-vm-v2 {public}\n"
    assert public.startswith("ssh-ed25519 AAAA")
    assert _mode(state / "vm" / "ssh_config") == 0o600 and _mode(known) == 0o600
    # the config is what ssh itself makes of it (ssh -G): strict checking against that file only
    effective = subprocess.run(
        ["ssh", "-G", "-F", str(state / "vm" / "ssh_config"), "dctl-vm-v2"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert "stricthostkeychecking true" in effective
    assert f"userknownhostsfile {known}" in effective and "globalknownhostsfile /dev/null" in effective
    assert "hostkeyalias dctl-vm-v2" in effective


def test_a_vm_without_a_pinned_key_gets_no_known_host(state: Path, tmp_path: Path) -> None:
    """A VM booted by an earlier dockerctl (no pinned key beside it): ssh to it is refused, not trusted."""
    public = _keypair(tmp_path / "host_key")
    _booted("v2", 40022, public)
    _booted("old", 40023, None)
    bad = _booted("bad", 40024, None)
    (bad.dir / "host_key.pub").write_text("ssh-rsa AAAAB3NzaC1yc2E whatever\n")  # only ed25519 is pinned
    vm._write_ssh_config()
    config = (state / "vm" / "ssh_config").read_text()
    for alias in ("dctl-vm-old", "dctl-vm-bad"):
        assert _config_lines(config, alias)["StrictHostKeyChecking"] == "yes"
    assert (state / "vm" / "known_hosts").read_text() == f"dctl-vm-v2 {public}\n"


def test_an_image_without_a_pinned_host_key_is_built_again(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image directory as an earlier dockerctl left it (vmlinuz, initrd.img, disk.img and no host key)
    is never booted: the image is built again (here: the build's first step is stopped)."""
    old = vm.image_dir()
    old.mkdir(parents=True)
    for name in ("vmlinuz", "initrd.img", "disk.img"):
        (old / name).write_bytes(b"old")
    ran: list[list[str]] = []

    def stop_at_first_step(argv: list[str], *, timeout: float, what: str) -> str:
        ran.append(argv)
        if argv[0] == "ssh-keygen":  # the client key: made for real
            return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        raise EngineError(f"stopped at {what}")

    monkeypatch.setattr(vm, "_run", stop_at_first_step)
    with pytest.raises(EngineError, match="stopped at debootstrap the VM image"):
        vm.build_image()
    assert ran[-1][0] == "debootstrap"
    assert not (state / "vm" / "build").exists()  # the build's work is gone, the old files untouched
    assert (old / "disk.img").read_bytes() == b"old"
    assert _mode(state / "vm" / "id_ed25519") == 0o600


def test_the_recipe_names_the_pinned_key_so_old_images_are_not_reused() -> None:
    assert vm.RECIPE_VERSION != "1"  # images made before the pinned key live under another key
    conf = vm._GUEST_FILES["/etc/ssh/sshd_config.d/dockerctl.conf"]
    assert conf.splitlines()[0] == f"HostKey {vm.HOST_KEY}"  # the only key the guest's sshd offers
    assert "host_key.pub" in vm.IMAGE_FILES


def test_the_host_key_is_made_here_and_installed_in_the_guest_root(tmp_path: Path) -> None:
    work, root = tmp_path / "work", tmp_path / "root"
    work.mkdir()
    etc_ssh = root / "etc" / "ssh"
    etc_ssh.mkdir(parents=True)
    for name in ("ssh_host_rsa_key", "ssh_host_ecdsa_key", "ssh_host_ed25519_key"):  # openssh-server's own
        (etc_ssh / name).write_text("made in the chroot\n")
        (etc_ssh / f"{name}.pub").write_text("made in the chroot\n")
    public = vm._make_host_key(work, root)
    private = root / vm.HOST_KEY.lstrip("/")
    assert sorted(p.name for p in etc_ssh.iterdir()) == ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"]
    assert _mode(private) == 0o600 and os.lstat(private).st_uid == 0
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(private)], capture_output=True, text=True, check=True
    )
    assert vm.host_key_line(derived.stdout) == public  # the pinned key is the guest's key
    assert list(work.iterdir()) == []  # no copy of the private half left on this machine


def test_a_wrong_host_key_is_told_apart_from_a_guest_still_booting() -> None:
    assert vm._wrong_host_key("Host key verification failed.\r\n")
    assert vm._wrong_host_key("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@")
    assert not vm._wrong_host_key("kex_exchange_identification: read: Connection reset by peer")
    assert not vm._wrong_host_key("ssh: connect to host 127.0.0.1 port 40022: Connection refused")
