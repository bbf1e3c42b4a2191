"""VM hosts, pure parts: which hosts get a port on the lab switch and which address, the playbook's
rules for VM hosts (errors at FILE:LINE), the qemu command line, and the image key (seed R, X7–X8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.fabric import vm
from dockerctl.spec.playbook import load_playbook

LAB = """version: 1
name: vmlab
hosts:
  s1: {kind: simulated}
  v2: {kind: vm}
switch: {subnet: 198.18.109.0/24}
networks:
  mv: {driver: macvlan, host: v2, subnet: 198.18.109.0/24, options: {parent: eth0}}
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return load_playbook(path)


def test_a_vm_joins_the_switch_when_the_lab_has_one(tmp_path: Path) -> None:
    pb = _load(tmp_path, LAB)
    assert pb.switch_addresses() == {"s1": "198.18.109.10/24", "v2": "198.18.109.11/24"}
    assert pb.lab_addresses()["v2"] == "198.18.109.11"
    alone = _load(tmp_path, "version: 1\nname: solo\nhosts: {v2: {kind: vm}}\n")
    assert not alone.has_switch() and alone.switch_addresses() == {}  # limits-vm: no switch, no tap
    given = _load(tmp_path, "version: 1\nname: solo\nhosts: {v2: {kind: vm, address: 198.18.100.40}}\n")
    assert given.switch_addresses() == {"v2": "198.18.100.40/24"}  # an address asks for the switch


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("options: {parent: eth0}", "options: {parent: ens3}", 8, "the port on the lab switch is eth0"),
        ("v2: {kind: vm}", "v2: {kind: vm, memory: 512}", 5, "greater than or equal to 1024"),
        ("v2: {kind: vm}", "v2: {kind: vm, url: 'ssh://root@x'}", 5, "url is for remote hosts"),
        ("s1: {kind: simulated}", "s1: {kind: simulated, cpus: 2}", 4, "memory and cpus size a VM host"),
        ("v2: {kind: vm}", "v2: {kind: vm, address: 198.18.109.1}", 5, ".1 is this machine's"),
    ],
)
def test_bad_vm_host_input_names_the_line(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    path = tmp_path / "lab.yaml"
    assert old in LAB
    path.write_text(LAB.replace(old, new))
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    assert words in caught.value.message, caught.value.message
    assert caught.value.where == f"{path}:{line}"


def test_qemu_gets_user_networking_and_a_tap_only_when_on_a_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path))
    machine = vm.Vm("v2")
    machine.dir.mkdir(parents=True)
    machine.port_file.write_text("40022\n")
    plain = vm._qemu_argv(machine, tmp_path, "tcg", 2048, 2)
    assert "accel=tcg" in " ".join(plain) and "tap," not in " ".join(plain)
    [user] = [a for a in plain if a.startswith("user,")]
    assert user == "user,id=n0,hostfwd=tcp:127.0.0.1:40022-:22"  # ssh forward on loopback only
    assert machine.url == "ssh://root@dctl-vm-v2:40022"
    assert f"mac={vm.USER_MAC}" in " ".join(plain)  # the MAC the guest's DHCP-only .network matches
    port = vm.SwitchPort("dsw-12345678", "198.18.109.11/24", "vmlab")
    argv = " ".join(vm._qemu_argv(machine, tmp_path, "tcg", 2048, 2, port))
    assert f"tap,id=n1,ifname={machine.tap},script=no,downscript=no" in argv
    assert f"virtio-net-pci,netdev=n1,mac={machine.mac}" in argv
    assert len(machine.tap) <= 15 and machine.tap != vm.Vm("v3").tap
    assert machine.mac.startswith("52:54:00:") and machine.mac != vm.USER_MAC


def test_the_image_key_follows_its_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    key = vm.image_key()
    assert key == vm.image_key() and len(key) == 16
    monkeypatch.setattr(vm, "PACKAGES", vm.PACKAGES + ",curl")
    assert vm.image_key() != key  # another package list is another image
    monkeypatch.setattr(vm, "PACKAGES", vm.PACKAGES.removesuffix(",curl"))
    assert vm.image_key() == key


def test_a_simulated_engines_names_all_come_from_its_hosts_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a second engine on this machine must not share with the machine's own (host-facts)."""
    from dockerctl.fabric.simhost import SimEngine

    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path))
    e = SimEngine("h1", "172.30.1.1/24")
    assert (e.exec_root, e.socket, e.url) == ("/run/dctl-h1", "/run/dctl-h1.sock", "unix:///run/dctl-h1.sock")
    assert (e.cgroup_parent, e.containerd_namespace) == ("/dctl-h1", "dctl-h1")
    assert (e.data_root, e.pidfile, e.log) == tuple(
        tmp_path / "hosts" / "h1" / n for n in ("data", "dockerd.pid", "dockerd.log")
    )
    assert SimEngine("h2", "172.30.2.1/24").socket != e.socket
