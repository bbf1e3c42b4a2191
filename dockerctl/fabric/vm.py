"""A VM host: a real second kernel on this machine — Debian 12 under qemu, cgroup v2 with the systemd
driver, as most operators' hosts are — reached like any remote host (docker-py over ssh, the kernel read
over the same ssh). Recipe measured on this machine kind (multi-host.md, "A real second kernel").

- The guest image is built from Debian's packages (debootstrap, the kernel package inside, `mkfs.ext4
  -d`), cached under the state directory keyed by everything that goes into it; nothing is committed.
- Each boot runs the cached image with `snapshot=on` (the image stays pristine), user-mode networking
  only (the guest reaches nothing but this machine's forwarded loopback port) and a generated key.
- The guest's ssh host key is made with the image (on this machine, never in the guest) and pinned: any
  local user can bind a loopback port — a dead guest's forwarded port included — so ssh to a VM checks
  the host key strictly against that key (HostKeyAlias dctl-vm-NAME, the port does not matter) and
  refuses whatever else answers. An image made without a pinned key is never used (built again).
- Everything here lives under the state directory, never in the shared temporary directory; the client
  key, the disk (it holds the guest's host key) and the run directories are root's alone.
- KVM is tried only if it proves itself: here `/dev/kvm` accepts KVM_CREATE_VM but a KVM guest stalls at
  the firmware, so a guest whose kernel has not printed within a few seconds is stopped and booted under
  software emulation (TCG); the verdict is remembered for the machine.
- `stop` ends exactly the qemu process it started (by the pid file qemu wrote, checked against its
  command line) and removes the VM's run directory; the cached image stays unless purged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from dockerctl.engines.engine import VM_ALIAS_PREFIX, vm_ssh_path
from dockerctl.errors import EngineError, EngineUnavailable
from dockerctl.hosts import LocalHost, state
from dockerctl.hosts.paths import InDir, Named, secure_dir, write_atomic

SUITE = "bookworm"
MIRROR = os.environ.get("DOCKERCTL_VM_MIRROR", "http://deb.debian.org/debian")
PACKAGES = (
    "systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,openssh-server,iproute2,iptables,"
    "busybox-static,python3,docker.io,ca-certificates"
)
DISK_SIZE = "3G"
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0 apparmor=0 quiet"  # apparmor=0: docker.io refuses otherwise
RECIPE_VERSION = "2"  # bump when the guest's configuration below changes (2: a pinned ssh host key)
USER_MAC = "52:54:00:12:34:56"  # the user-mode NIC (ssh forward); the switch port's MAC is per VM
PORT_NAME = "eth0"  # a VM's port on the lab switch, named in the guest as on a simulated host


def _state() -> Path:
    return state.folder(state.VM)


def _checked_state() -> Path:
    """The VMs' state directory, made if missing and refused (StateUnwritable) when another user owns it
    or can write it; what is secret in it (the client key, disks, run directories) is root's alone."""
    return state.made(state.VM)


def image_key() -> str:
    """Everything that goes into the guest image, hashed: a change builds a new one."""
    data = json.dumps([RECIPE_VERSION, SUITE, MIRROR, PACKAGES, DISK_SIZE, _GUEST_FILES], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def image_dir() -> Path:
    return _state() / "images" / image_key()


def key_path() -> Path:
    return _state() / "id_ed25519"


HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"  # the guest's only ssh host key (sshd_config below names it)
HOST_KEY_PUB = "host_key.pub"  # beside the image, and copied into each VM's run directory when it boots


def known_hosts_path() -> Path:
    """The VMs' pinned host keys (one line per VM that is up: `dctl-vm-NAME ssh-ed25519 …`)."""
    return _state() / "known_hosts"


# files written into the guest (path → text); part of the image key
_GUEST_FILES = {
    "/etc/hostname": "dctl-vm\n",
    "/etc/hosts": "127.0.0.1 localhost dctl-vm\n",
    "/etc/fstab": "/dev/vda / ext4 rw,relatime 0 1\n",
    # DHCP only on the user-mode NIC (by its MAC): a port on the lab switch stays unmanaged, so boot does
    # not wait for an address no one hands out; dockerctl gives it its lab address over ssh
    "/etc/systemd/network/10-user.network": f"[Match]\nMACAddress={USER_MAC}\n\n[Network]\nDHCP=yes\n",
    # only the host key made with the image (pinned on this machine): no other key the guest might have
    "/etc/ssh/sshd_config.d/dockerctl.conf": f"HostKey {HOST_KEY}\nPermitRootLogin prohibit-password\nUseDNS no\n",
    "/etc/docker/daemon.json": json.dumps({"exec-opts": ["native.cgroupdriver=systemd"]}) + "\n",
}


def _run(argv: list[str], *, timeout: float, what: str) -> str:
    done = LocalHost().run(argv, timeout=timeout)
    if done.returncode is None and shutil.which(argv[0]) is None:
        raise EngineUnavailable(
            f"{what}: {argv[0]} is not installed",
            hint="scripts/setup installs the VM tools (Debian: qemu-system-x86 debootstrap)",
        )
    if done.returncode is None:  # it did not end within the timeout
        raise EngineError(f"{what}: no result within {timeout:g}s")
    if done.returncode != 0:
        raise EngineError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout)[-600:]}")
    return done.stdout


def ensure_key() -> Path:
    _checked_state()
    key = key_path()
    if not key.exists():
        _run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dockerctl-vm", "-f", str(key)],
            timeout=30,
            what="make the VM's ssh key",
        )
    return key


IMAGE_FILES = ("vmlinuz", "initrd.img", "disk.img", HOST_KEY_PUB)  # an image is whole with all of them


def host_key_line(public: str) -> str:
    """`ssh-ed25519 AAAA…` from a public key file's text (its comment dropped); EngineError if it is not one
    line holding an ed25519 key — nothing else is ever pinned."""
    fields = public.split()
    if len(fields) < 2 or fields[0] != "ssh-ed25519" or "\n" in public.strip():
        raise EngineError(f"the VM image's pinned host key is not an ed25519 public key: {public[:80]!r}")
    return f"{fields[0]} {fields[1]}"


def _make_host_key(work: Path, root: Path) -> str:
    """The guest's ssh host key, made here (ssh-keygen on this machine): the private half installed in the
    guest as its only host key (the ones openssh-server's install made are removed), the public half
    returned, to be pinned. The private half stays nowhere else than in the guest's disk."""
    keygen = work / "hostkey"
    keygen.mkdir(mode=0o700)
    private = keygen / "ssh_host_ed25519_key"
    _run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dctl-vm", "-f", str(private)],
        timeout=30,
        what="make the VM's ssh host key",
    )
    public = host_key_line(Path(f"{private}.pub").read_text())
    etc_ssh = root / "etc" / "ssh"
    etc_ssh.mkdir(parents=True, exist_ok=True)
    for old in etc_ssh.glob("ssh_host_*_key*"):
        old.unlink()
    target = root / HOST_KEY.lstrip("/")
    write_atomic(target, private.read_text(), mode=0o600)
    write_atomic(target.with_name(target.name + ".pub"), f"{public} dctl-vm\n", mode=0o644)
    shutil.rmtree(keygen)
    return public


def build_image(*, progress: object = None) -> Path:
    """The guest image (cached): vmlinuz, initrd.img, disk.img and the pinned host key's public half
    (host_key.pub) under image_dir(). → that directory. A directory without the pinned key is built again."""
    say = progress if callable(progress) else (lambda _m: None)
    out = image_dir()
    if all((out / name).exists() for name in IMAGE_FILES):
        return out
    key = ensure_key()
    work = _checked_state() / "build"
    shutil.rmtree(work, ignore_errors=True)
    root = work / "root"
    work.mkdir(mode=0o700)
    try:
        say(f"building the VM image from Debian's packages ({SUITE}; a few minutes, once)")
        _run(
            ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(root), MIRROR],
            timeout=1800,
            what="debootstrap the VM image",
        )
        for path, text in _GUEST_FILES.items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        host_public = _make_host_key(work, root)
        ssh_dir = root / "root" / ".ssh"
        ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        (ssh_dir / "authorized_keys").write_text(Path(f"{key}.pub").read_text())
        os.chmod(ssh_dir / "authorized_keys", 0o600)
        wants = root / "etc/systemd/system/multi-user.target.wants"
        wants.mkdir(parents=True, exist_ok=True)
        for unit in ("systemd-networkd.service", "ssh.service", "docker.service"):
            link = wants / unit
            if not link.exists():
                source = next(
                    (p for p in (root / "lib/systemd/system" / unit, root / "usr/lib/systemd/system" / unit)
                     if p.exists()),
                    None,
                )  # fmt: skip
                if source is not None:
                    link.symlink_to("/" + str(source.relative_to(root)))
        kernels = sorted((root / "boot").glob("vmlinuz-*"))
        initrds = sorted((root / "boot").glob("initrd.img-*"))
        if not kernels or not initrds:
            raise EngineError("the VM image has no kernel or initrd after debootstrap (linux-image-amd64)")
        stage = work / "out"
        stage.mkdir(mode=0o700)
        shutil.copy(kernels[-1], stage / "vmlinuz")
        shutil.copy(initrds[-1], stage / "initrd.img")
        write_atomic(stage / HOST_KEY_PUB, host_public + "\n", mode=0o644)
        # the disk holds the guest's private host key: root's alone, from the moment it exists
        os.close(os.open(stage / "disk.img", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        say("making the VM's disk (mkfs.ext4 -d)")
        _run(
            ["mkfs.ext4", "-q", "-F", "-L", "dctl-vm", "-d", str(root), str(stage / "disk.img"), DISK_SIZE],
            timeout=600,
            what="make the VM's disk",
        )
        os.chmod(stage / "disk.img", 0o600)
        out.parent.mkdir(mode=0o700, exist_ok=True)
        shutil.rmtree(out, ignore_errors=True)
        stage.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


@dataclass(frozen=True)
class SwitchPort:
    """Where a VM joins a lab switch: the bridge on this machine, the guest's address (CIDR), the lab."""

    bridge: str
    address: str
    lab: str


@dataclass(frozen=True)
class Vm:
    """One VM host of a lab: its run directory, forwarded ssh port, qemu pid file."""

    name: str

    @property
    def dir(self) -> Path:
        return _state() / "run" / self.name

    pidfile, console = InDir("qemu.pid"), InDir("console.log")
    port_file, switch_file = InDir("ssh-port"), InDir("switch.json")
    host_key_file = InDir(HOST_KEY_PUB)  # the host key its image was built with: the only one ssh accepts

    @property
    def port(self) -> int:
        return int(self.port_file.read_text().strip())

    @property
    def tap(self) -> str:
        """Its port on the lab switch, on this machine: a tap device (≤ 15 characters)."""
        return "dvt-" + hashlib.sha256(self.name.encode()).hexdigest()[:8]

    @property
    def mac(self) -> str:
        """The guest's NIC on the lab switch: locally administered, from the VM's name."""
        h = hashlib.sha256(self.name.encode()).hexdigest()
        return f"52:54:00:{h[0:2]}:{h[2:4]}:{h[4:6]}"

    alias = Named(VM_ALIAS_PREFIX + "{self.name}")
    # with the port: docker-py passes `-p 22` unless the URL names one, which would beat the config
    url = Named("ssh://root@{self.alias}:{self.port}")

    def pid(self) -> int | None:
        return LocalHost().owned_pid(str(self.pidfile), "qemu-system", str(self.dir))


def ssh_config() -> Path:
    """One ssh_config with a Host block per VM that is up (alias → 127.0.0.1:port, the generated key)."""
    return Path(vm_ssh_path())


def ssh_config_text(vms: list[Vm]) -> tuple[str, str]:
    """The ssh_config (a Host block per VM with a forwarded port) and the known_hosts pinning each VM's host
    key under its alias. Checking is strict: a port answered by any other key — someone else's sshd on a
    dead guest's port — is refused; a VM whose pinned key is missing is refused too (no line for it)."""
    blocks, pinned = [], []
    for vm in vms:
        if not vm.port_file.exists():
            continue
        blocks.append(
            f"Host {vm.alias}\n  HostName 127.0.0.1\n  Port {vm.port}\n  User root\n"
            f"  IdentityFile {key_path()}\n  IdentitiesOnly yes\n"
            f"  HostKeyAlias {vm.alias}\n  StrictHostKeyChecking yes\n  CheckHostIP no\n"
            f"  UserKnownHostsFile {known_hosts_path()}\n  GlobalKnownHostsFile /dev/null\n"
            # a guest under software emulation can take several seconds to answer a new connection
            # (measured: more than 5 under load, and docker-py then wrote into a closed pipe)
            f"  LogLevel ERROR\n  ConnectTimeout 60\n"
            f"  ServerAliveInterval 15\n  ServerAliveCountMax 8\n"
        )
        with contextlib.suppress(OSError, EngineError):
            pinned.append(f"{vm.alias} {host_key_line(vm.host_key_file.read_text())}\n")
    return "\n".join(blocks), "".join(pinned)


def _write_ssh_config() -> None:
    run = _checked_state() / "run"
    vms = [Vm(d.name) for d in sorted(run.iterdir())] if run.is_dir() else []
    config, known = ssh_config_text(vms)
    write_atomic(known_hosts_path(), known, mode=0o600)  # first: the config names it
    write_atomic(ssh_config(), config, mode=0o600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accel_verdict() -> Path:
    return _state() / "accel"


def _qemu_argv(
    vm: Vm, image: Path, accel: str, memory_mb: int, cpus: int, port: SwitchPort | None = None
) -> list[str]:
    switch = (
        ["-netdev", f"tap,id=n1,ifname={vm.tap},script=no,downscript=no",
         "-device", f"virtio-net-pci,netdev=n1,mac={vm.mac}"]
        if port is not None else []
    )  # fmt: skip
    return [
        "qemu-system-x86_64",
        "-name", vm.alias,
        "-machine", f"q35,accel={accel}",
        "-m", str(memory_mb), "-smp", str(cpus),
        "-kernel", str(image / "vmlinuz"), "-initrd", str(image / "initrd.img"),
        "-append", KERNEL_ARGS,
        "-drive", f"file={image / 'disk.img'},format=raw,if=virtio,snapshot=on",
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{vm.port}-:22",
        "-device", f"virtio-net-pci,netdev=n0,mac={USER_MAC}",
        *switch,
        "-display", "none", "-serial", f"file:{vm.console}", "-monitor", "none",
        "-pidfile", str(vm.pidfile), "-daemonize",
        "-object", "rng-random,filename=/dev/urandom,id=rng0", "-device", "virtio-rng-pci,rng=rng0",
    ]  # fmt: skip


def _launch(vm: Vm, image: Path, accel: str, memory_mb: int, cpus: int, port: SwitchPort | None) -> None:
    vm.console.unlink(missing_ok=True)
    _run(_qemu_argv(vm, image, accel, memory_mb, cpus, port), timeout=30, what=f"start VM {vm.name}")


def _tap_up(vm: Vm, port: SwitchPort) -> None:
    """The VM's port on the switch: a persistent tap (qemu attaches to it by name), a port of the
    switch's bridge, tagged with the lab like the bridge itself. Idempotent."""
    from dockerctl.fabric.hostlinks import alias

    vm.switch_file.write_text(json.dumps({"tap": vm.tap, "bridge": port.bridge, "address": port.address}))
    if not Path(f"/sys/class/net/{vm.tap}").exists():
        _run(["ip", "tuntap", "add", "dev", vm.tap, "mode", "tap"], timeout=30, what=f"make tap {vm.tap}")
    _run(["ip", "link", "set", "dev", vm.tap, "alias", alias(port.lab)], timeout=30, what="tag the tap")
    _run(
        ["ip", "link", "set", "dev", vm.tap, "master", port.bridge, "up"],
        timeout=30,
        what=f"put tap {vm.tap} on the lab switch {port.bridge}",
    )


def _tap_down(vm: Vm) -> None:
    """Remove the VM's tap — only the one named for this VM and tagged as a lab's."""
    link = Path(f"/sys/class/net/{vm.tap}")
    try:
        tagged = (link / "ifalias").read_text().startswith("dockerctl-lab=")
    except OSError:
        return
    if tagged:
        LocalHost().run(["ip", "link", "del", "dev", vm.tap], timeout=30)


def _guest_port(vm: Vm, port: SwitchPort) -> None:
    """In the guest: the NIC with the switch port's MAC is named eth0 (as a simulated host's port is)
    and holds the lab address. Idempotent."""
    script = (
        "set -e; d=; for f in /sys/class/net/*; do "
        f'[ "$(cat $f/address)" = {vm.mac} ] && d=${{f##*/}}; done; '
        '[ -n "$d" ] || { echo "no NIC with the switch port\'s MAC" >&2; exit 1; }; '
        f'if [ "$d" != {PORT_NAME} ]; then ip link set dev "$d" down; ip link set dev "$d" name {PORT_NAME}; fi; '
        f"ip addr replace {port.address} dev {PORT_NAME}; ip link set dev {PORT_NAME} up"
    )
    _run(
        ["ssh", "-F", str(ssh_config()), vm.alias, script],
        timeout=60,
        what=f"give VM {vm.name} its lab address {port.address}",
    )


def _kernel_printed(vm: Vm, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if vm.console.stat().st_size > 0:
                return True
        time.sleep(0.5)
    return False


def start(
    vm: Vm,
    *,
    memory_mb: int = 2048,
    cpus: int = 2,
    wait: float = 300,
    port: SwitchPort | None = None,
    progress: object = None,
) -> None:
    """Boot the VM (unless it runs) and wait until its engine answers over ssh; with `port`, it is also
    on the lab switch (a tap on the switch's bridge; eth0 with the lab address in the guest)."""
    say = progress if callable(progress) else (lambda _m: None)
    image = build_image(progress=say)
    if vm.pid() is not None and not vm.host_key_file.exists():
        say(f"VM {vm.name} was booted by an earlier dockerctl without a pinned host key: booting it again")
        _end(vm)
    if vm.pid() is None:
        shutil.rmtree(vm.dir, ignore_errors=True)
        secure_dir(_checked_state() / "run", private=False)
        os.mkdir(vm.dir, 0o700)  # its own: a console log, a pid file, the pinned key
        write_atomic(vm.host_key_file, (image / HOST_KEY_PUB).read_text(), mode=0o644)
        vm.port_file.write_text(f"{_free_port()}\n")
        if port is not None:
            _tap_up(vm, port)
        verdict = _accel_verdict().read_text().strip() if _accel_verdict().exists() else ""
        use_kvm = verdict != "tcg" and os.access("/dev/kvm", os.R_OK | os.W_OK)
        if use_kvm:
            say(f"booting VM {vm.name} (trying KVM)")
            _launch(vm, image, "kvm", memory_mb, cpus, port)
            if _kernel_printed(vm, 15):
                _accel_verdict().write_text("kvm\n")
            else:  # measured here: a KVM guest that stalls at the firmware
                _end(vm)
                _accel_verdict().write_text("tcg\n")
                use_kvm = False
        if not use_kvm:
            say(f"booting VM {vm.name} (software emulation)")
            _launch(vm, image, "tcg", memory_mb, cpus, port)
    _write_ssh_config()
    deadline = time.monotonic() + wait
    last = ""
    while time.monotonic() < deadline:
        if vm.pid() is None:
            raise EngineError(f"VM {vm.name} stopped while booting: {_tail(vm)}")
        done = LocalHost().run(
            ["ssh", "-F", str(ssh_config()), vm.alias, "docker", "info", "--format", "{{.CgroupVersion}}"],
            timeout=60,
        )
        if done.returncode is None:
            # measured in CI under software emulation: sshd accepts while the guest is still booting
            # and the session hangs; that is "not yet", not a failure — the deadline decides
            last = "ssh did not answer within 60s"
            continue
        if done.returncode == 0 and done.stdout.strip():
            if port is not None:
                _guest_port(vm, port)
            return
        if _wrong_host_key(done.stderr):  # not the guest: something else answers on its port
            raise EngineError(
                f"VM {vm.name}: 127.0.0.1:{vm.port} answered ssh with a host key other than the one its "
                f"image was built with ({vm.host_key_file}); another process may hold the port — refused",
                hint="`dockerctl down --lab LAB` ends the VM; playing the lab again boots it on a new port",
            )
        last = (done.stderr or done.stdout).strip()[-200:]
        time.sleep(2)
    raise EngineUnavailable(
        f"VM {vm.name}: no engine answered over ssh within {wait:g}s ({last}); {_tail(vm)}"
    )


def _wrong_host_key(stderr: str) -> bool:
    text = stderr.lower()
    return "host key verification failed" in text or "remote host identification has changed" in text


def _tail(vm: Vm) -> str:
    try:
        return "console: " + vm.console.read_text(errors="replace")[-400:]
    except OSError:
        return "no console output"


def _end(vm: Vm) -> None:
    pid = vm.pid()
    if pid is not None:
        LocalHost().end(pid, vm.pid)


def stop(vm: Vm) -> None:
    """End the VM's qemu (by its pid file, checked) and remove its tap, run directory and ssh entry."""
    _end(vm)
    _tap_down(vm)
    shutil.rmtree(vm.dir, ignore_errors=True)
    _write_ssh_config()


def purge_images() -> list[str]:
    """Remove the cached guest images (built again on the next VM boot). → the images removed."""
    images = _state() / "images"
    gone = sorted(str(p) for p in images.iterdir()) if images.is_dir() else []
    shutil.rmtree(images, ignore_errors=True)
    return gone
