"""A VM host: a real second kernel on this machine — Debian 12 under qemu, cgroup v2 with the systemd
driver, as most operators' hosts are — reached like any remote host (docker-py over ssh, the kernel read
over the same ssh). Recipe measured on this machine kind (multi-host.md, "A real second kernel").

- The guest image is built from Debian's packages (debootstrap, the kernel package inside, `mkfs.ext4
  -d`), cached under the state directory keyed by everything that goes into it; nothing is committed.
- Each boot runs the cached image with `snapshot=on` (the image stays pristine), user-mode networking
  only (the guest reaches nothing but this machine's forwarded loopback port) and a generated key.
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
from dockerctl.hosts import LocalHost
from dockerctl.hosts.paths import InDir, Named, state_dir, write_atomic

SUITE = "bookworm"
MIRROR = os.environ.get("DOCKERCTL_VM_MIRROR", "http://deb.debian.org/debian")
PACKAGES = (
    "systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,openssh-server,iproute2,iptables,"
    "busybox-static,python3,docker.io,ca-certificates"
)
DISK_SIZE = "3G"
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0 apparmor=0 quiet"  # apparmor=0: docker.io refuses otherwise
RECIPE_VERSION = "1"  # bump when the guest's configuration below changes
USER_MAC = "52:54:00:12:34:56"  # the user-mode NIC (ssh forward); the switch port's MAC is per VM
PORT_NAME = "eth0"  # a VM's port on the lab switch, named in the guest as on a simulated host


def _state() -> Path:
    return state_dir() / "vm"


def image_key() -> str:
    """Everything that goes into the guest image, hashed: a change builds a new one."""
    data = json.dumps([RECIPE_VERSION, SUITE, MIRROR, PACKAGES, DISK_SIZE, _GUEST_FILES], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def image_dir() -> Path:
    return _state() / "images" / image_key()


def key_path() -> Path:
    return _state() / "id_ed25519"


# files written into the guest (path → text); part of the image key
_GUEST_FILES = {
    "/etc/hostname": "dctl-vm\n",
    "/etc/hosts": "127.0.0.1 localhost dctl-vm\n",
    "/etc/fstab": "/dev/vda / ext4 rw,relatime 0 1\n",
    # DHCP only on the user-mode NIC (by its MAC): a port on the lab switch stays unmanaged, so boot does
    # not wait for an address no one hands out; dockerctl gives it its lab address over ssh
    "/etc/systemd/network/10-user.network": f"[Match]\nMACAddress={USER_MAC}\n\n[Network]\nDHCP=yes\n",
    "/etc/ssh/sshd_config.d/dockerctl.conf": "PermitRootLogin prohibit-password\nUseDNS no\n",
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
    key = key_path()
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        _run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dockerctl-vm", "-f", str(key)],
            timeout=30,
            what="make the VM's ssh key",
        )
    return key


def build_image(*, progress: object = None) -> Path:
    """The guest image (cached): vmlinuz, initrd.img and disk.img under image_dir(). → that directory."""
    say = progress if callable(progress) else (lambda _m: None)
    out = image_dir()
    if (out / "disk.img").exists() and (out / "vmlinuz").exists() and (out / "initrd.img").exists():
        return out
    key = ensure_key()
    work = _state() / "build"
    shutil.rmtree(work, ignore_errors=True)
    root = work / "root"
    work.mkdir(parents=True)
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
        stage.mkdir()
        shutil.copy(kernels[-1], stage / "vmlinuz")
        shutil.copy(initrds[-1], stage / "initrd.img")
        say("making the VM's disk (mkfs.ext4 -d)")
        _run(
            ["mkfs.ext4", "-q", "-F", "-L", "dctl-vm", "-d", str(root), str(stage / "disk.img"), DISK_SIZE],
            timeout=600,
            what="make the VM's disk",
        )
        out.parent.mkdir(parents=True, exist_ok=True)
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


def _write_ssh_config() -> None:
    blocks = []
    run = _state() / "run"
    for d in sorted(run.iterdir()) if run.is_dir() else []:
        vm = Vm(d.name)
        if not vm.port_file.exists():
            continue
        blocks.append(
            f"Host {vm.alias}\n  HostName 127.0.0.1\n  Port {vm.port}\n  User root\n"
            f"  IdentityFile {key_path()}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
            # a guest under software emulation can take several seconds to answer a new connection
            # (measured: more than 5 under load, and docker-py then wrote into a closed pipe)
            f"  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 60\n"
            f"  ServerAliveInterval 15\n  ServerAliveCountMax 8\n"
        )
    path = ssh_config()
    write_atomic(path, "\n".join(blocks))


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
    if vm.pid() is None:
        shutil.rmtree(vm.dir, ignore_errors=True)
        vm.dir.mkdir(parents=True)
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
        last = (done.stderr or done.stdout).strip()[-200:]
        time.sleep(2)
    raise EngineUnavailable(
        f"VM {vm.name}: no engine answered over ssh within {wait:g}s ({last}); {_tail(vm)}"
    )


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
