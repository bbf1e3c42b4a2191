"""A real cgroup v2 host (seed R1–R7, K1 on v2): the shipped playbook `limits-vm` boots a Debian 12 VM
that dockerctl builds from Debian's packages — cgroup v2, systemd driver, its own kernel — reached over
ssh. Every value is also read independently over ssh from the guest's own /sys/fs/cgroup (not through
dockerctl's reader), and `down` leaves no qemu process and no run directory behind. A VM host also joins
a lab switch (`macvlan-vm`): a tap on the switch's bridge, eth0 in the guest, macvlan across kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_labs_across_hosts import STATE, cli, machine_state

PLAYBOOK = Path(__file__).parents[2] / "playbooks" / "limits-vm.yaml"
ON_SWITCH = Path(__file__).parents[2] / "playbooks" / "macvlan-vm.yaml"
LAB, HOST = "limits-vm", "v2"
SSH_CONFIG = STATE / "vm" / "ssh_config"


def guest(command: str) -> str:
    done = subprocess.run(
        ["ssh", "-F", str(SSH_CONFIG), f"dctl-vm-{HOST}", command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def qemu_processes() -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if line.startswith("qemu-system") and "dctl-vm-" in line]


@pytest.fixture(scope="module")
def vm(dockerctl_base_image: str) -> Iterator[str]:
    """The shipped playbook played and kept: every expectation holds on the guest. → the VM's URL."""
    before = qemu_processes()
    try:
        up = cli("play", str(PLAYBOOK), "--keep", "--json", timeout=3600)
        report = json.loads(up.stdout or "{}")
        bad = [c for c in report.get("checks", []) if c["verdict"] != "enforced"]
        assert up.returncode == 0 and report["checks"] and not bad, (up.stderr, bad)
        again = cli("play", str(PLAYBOOK), "--dry-run", "--json")
        stale = [c for c in json.loads(again.stdout)["plan"] if c["action"] != "noop"]
        assert not stale, stale  # re-planning the lab on the VM: all up to date
        yield report["hosts"][HOST]
    finally:
        down = cli("down", "--lab", LAB, "--volumes", timeout=300)
        assert down.returncode == 0, down.stderr
        assert qemu_processes() == before
        assert not (STATE / "vm" / "run" / HOST).exists()


def _cgroup_dir(container: str) -> str:
    line = guest(f"cat /proc/$(docker inspect -f '{{{{.State.Pid}}}}' {container})/cgroup")
    assert line.startswith("0::/system.slice/docker-") and line.endswith(".scope"), line  # systemd driver
    return "/sys/fs/cgroup" + line.split("::", 1)[1]


def test_the_playbooks_limits_are_in_the_guests_v2_files(vm: str) -> None:
    cg = _cgroup_dir(f"{LAB}-capped")
    assert guest(f"cat {cg}/memory.max") == "104857600"
    assert guest(f"cat {cg}/memory.swap.max") == "104857600"  # v2 keeps swap alone: 200M − 100M
    assert guest(f"cat {cg}/cpu.max") == "150000 100000"
    assert guest(f"cat {cg}/pids.max") == "50"
    majmin = guest("cat /sys/block/vda/dev")
    assert f"{majmin} rbps=max wbps=31457280" in guest(f"cat {cg}/io.max")
    assert guest(f"cat {_cgroup_dir(LAB + '-noswap')}/memory.swap.max") == "0"
    report = json.loads(cli("-H", vm, "limits", f"{LAB}-capped", "--json").stdout)
    rows = {c["subject"]: c for c in report["checks"]}
    assert rows["memory"]["evidence"] == f"{cg}/memory.max"
    shares = rows["cpu shares"]  # which conversion the runtime used, from the value in cpu.weight
    assert guest(f"cat {cg}/cpu.weight") in shares["observed"] and "conversion" in shares["note"], shares
    [io_row] = [r for s, r in rows.items() if s.startswith("device-write-bps /dev/vda")]
    assert io_row["verdict"] == "enforced" and f"({majmin})" in io_row["subject"]


def test_doctor_reads_the_guest_kernel_cgroup_v2_and_systemd(vm: str) -> None:
    done = cli("doctor", "--lab-host", HOST, "--json", "--no-links")
    assert done.returncode == 0, done.stderr
    caps = {c["topic"]: c for c in json.loads(done.stdout)["capabilities"]}
    cgroup = caps["cgroup version and driver"]
    assert cgroup["detail"].startswith("v2") and "systemd" in cgroup["detail"], cgroup
    assert caps["memory limit"]["evidence"].endswith("memory.max")  # the guest's v2 files, over ssh
    weight = caps["block-IO weight"]  # io.weight exists, the io cost controller is on for no device
    assert weight["verdict"] == "not-supported" and "/sys/fs/cgroup/io.cost.qos" in weight["evidence"]
    assert guest("cat /sys/fs/cgroup/io.cost.qos") == ""


def test_blkio_weight_on_v2_gets_an_honest_verdict(vm: str) -> None:
    name = "vm-weight"
    run = cli("-H", vm, "run", "--lab", LAB, "--name", name, "--blkio-weight", "300", "dockerctl/base")
    assert run.returncode == 0, run.stderr
    limits = cli("-H", vm, "limits", name, "--json")
    row = {c["subject"]: c for c in json.loads(limits.stdout)["checks"]}["blkio weight"]
    cg = _cgroup_dir(name)
    # unlike on the v1 host, the engine keeps the weight and runc writes it, converted, into io.weight …
    assert row["engine"] == "300" and guest(f"cat {cg}/io.weight") == "default 2930"
    # … but nothing acts on it: not-enforced, with io.cost.qos as the evidence
    assert row["verdict"] == "not-enforced" and "/sys/fs/cgroup/io.cost.qos" in row["evidence"], row
    assert limits.returncode == 1


def test_update_on_v2_is_read_back_from_the_guest(vm: str) -> None:
    name = f"{LAB}-capped"
    done = cli("-H", vm, "update", name, "--cpus", "0.5", "--pids-limit", "20", "--verify", "--json")
    report = json.loads(done.stdout)
    rows = {c["subject"]: c for c in report["checks"]}
    assert rows["cpus"]["verdict"] == "enforced" and rows["pids"]["verdict"] == "enforced", rows
    cg = _cgroup_dir(name)
    assert guest(f"cat {cg}/cpu.max") == "50000 100000"
    assert guest(f"cat {cg}/pids.max") == "20"


def test_prove_cpu_and_io_by_behaviour_on_the_guest(vm: str) -> None:
    """R4 and R6–R7 by behaviour on the v2 kernel (R1's OOM kill is the playbook's own `oom` check)."""
    cpu = cli("-H", vm, "prove", "cpu", "--shares", "1024:512", "--seconds", "4", "--json", timeout=900)
    [ratio] = json.loads(cpu.stdout)["checks"]
    assert cpu.returncode == 0 and ratio["verdict"] == "enforced", ratio
    # v2's cpu.stat (usage_usec, not v1's cpuacct.usage) in the systemd driver's scopes
    assert all(
        "/sys/fs/cgroup/system.slice/docker-" in e and e.endswith(".scope/cpu.stat")
        for e in ratio["evidence"].split(", ")
    ), ratio
    io = cli("-H", vm, "prove", "io", "--device-write-bps", "/dev/vda:10mb", "--json", timeout=900)
    [rate] = json.loads(io.stdout)["checks"]
    assert io.returncode == 0 and rate["verdict"] == "enforced" and "unthrottled" in rate["observed"], rate


def test_audit_reads_the_guests_v2_kernel(vm: str) -> None:
    """audit on the cgroup v2 host: pressure from memory.events / cpu.stat / pids.events and the PSI
    files, the systemd driver's scopes, namespaces over ssh — compared with the guest's own files."""
    # CIS 5.5 from a real privileged container: this machine's own engine cannot start one (runc: "unable to
    # apply caps"), the guest's kernel can. Started by the docker CLI, not dockerctl; removed afterwards.
    guest("docker run -d --name audit-priv --privileged dockerctl/base:latest sleep 600")
    try:
        done = cli("audit", "--lab-host", HOST, "--json", "--fail-on", "orphan", timeout=600)
        priv_caps = guest("grep CapEff /proc/$(docker inspect -f '{{.State.Pid}}' audit-priv)/status")
    finally:
        guest("docker rm -f audit-priv")
    assert done.returncode == 0, done.stderr  # nothing the guest's engine lost track of
    report = json.loads(done.stdout)
    priv = {
        f["rule"]: f for f in next(c for c in report["containers"] if c["name"] == "audit-priv")["findings"]
    }
    assert "privileged" in priv and f"{int(priv_caps.split()[1], 16):x}" in priv["privileged"]["found"], (
        priv_caps,
        priv,
    )
    by = {c["name"]: c for c in report["containers"]}
    capped, noswap = by[f"{LAB}-capped"], by[f"{LAB}-noswap"]
    assert capped["group"] == f"dockerctl lab {LAB}"
    cg = _cgroup_dir(f"{LAB}-capped")
    p = capped["pressure"]
    assert p["evidence"]["oom_kills"] == f"{cg}/memory.events" and "memory" in p["psi"] and "cpu" in p["psi"]
    assert p["memory_limit_bytes"] == int(guest(f"cat {cg}/memory.max"))
    assert p["pids_max"] == int(guest(f"cat {cg}/pids.max"))
    rules = {f["rule"] for f in capped["findings"]}
    assert not {"no-memory-limit", "no-pids-limit", "no-cpu-priority", "privileged"} & rules, rules
    killed = int(guest(f"grep '^oom_kill ' {_cgroup_dir(LAB + '-noswap')}/memory.events").split()[1])
    assert noswap["pressure"]["oom_kills"] == killed
    assert ("oom-killed" in {f["rule"] for f in noswap["findings"]}) == (killed > 0)


def test_top_once_on_the_guest_shows_pressure_stall_figures(vm: str) -> None:
    done = cli("top", "--lab-host", HOST, "--once", "--json", "--interval", "1", f"{LAB}-capped", timeout=300)
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    cg = _cgroup_dir(f"{LAB}-capped")
    assert row["memory_limit_bytes"] == int(guest(f"cat {cg}/memory.max"))
    assert {"memory", "cpu"} <= set(row["psi"]) and "avg10" in row["psi"]["cpu"]["some"]  # v2's PSI files
    quota, period = guest(f"cat {cg}/cpu.max").split()
    assert row["cpu_quota_cpus"] == int(quota) / int(period)  # what was asked is what the guest holds here


def oom_kill_vs_docker_kill(url: str) -> None:
    """Issue 39 on the guest's cgroup v2 kernel, through an ssh engine: a job OOM-killed and one stopped by
    `docker kill -s KILL` both exit 137; assert_oom_killed tells them apart from the guest's kernel log
    (their scopes are gone), and a container that lives on from its scope's memory.events."""
    from dockerctl.engines.engine import connect_engine
    from dockerctl.engines.labels import owned
    from dockerctl.testing import KernelAssertionError, assert_not_oom_killed, assert_oom_killed

    run_id = uuid.uuid4().hex[:6]
    names = {k: f"{LAB}-tc39-{run_id}-{k}" for k in ("hungry", "killed", "survivor")}
    with connect_engine(url) as eng:
        run = eng.client.containers.run
        common = {"detach": True, "labels": owned(LAB), "mem_limit": "16m", "memswap_limit": "16m"}
        try:
            hungry = run("dockerctl/base:latest", ["tail", "/dev/zero"], name=names["hungry"], **common)
            killed = run("dockerctl/base:latest", ["sleep", "300"], name=names["killed"], **common)
            survivor = run("dockerctl/base:latest", ["sh", "-c", "tail /dev/zero; sleep 300"],
                           name=names["survivor"], **common)  # fmt: skip
            guest(f"docker kill -s KILL {names['killed']}")
            for c in (hungry, killed):
                c.wait(timeout=120)
                c.reload()
                assert c.attrs["State"]["ExitCode"] == 137
            oom = assert_oom_killed(hungry, engine=eng)
            assert oom.decided_by == "kernel log" and f"docker-{hungry.id}.scope" in oom.kernel, oom
            assert "oom-kill:" in guest(
                f"dmesg | grep 'oom_memcg=/system.slice/docker-{hungry.id}.scope' || true"
            )
            assert assert_not_oom_killed(killed, engine=eng).decided_by == "kernel log"
            with pytest.raises(
                KernelAssertionError, match=r"exit 137[\s\S]*no OOM kill of its cgroup logged"
            ):
                assert_oom_killed(killed, engine=eng)
            lives = assert_oom_killed(survivor, engine=eng, within=60)
            cg = _cgroup_dir(names["survivor"])
            assert lives.decided_by == "cgroup counter" and lives.read_from == f"{cg}/memory.events", lives
            assert lives.count == int(guest(f"grep '^oom_kill ' {cg}/memory.events").split()[1]) >= 1
        finally:
            guest("docker rm -f " + " ".join(names.values()) + " >/dev/null 2>&1 || true")


def test_an_oom_kill_is_told_from_docker_kill_on_the_guests_v2_kernel(vm: str) -> None:
    oom_kill_vs_docker_kill(vm)


def test_a_vm_host_on_the_lab_switch_talks_macvlan_across_kernels(dockerctl_base_image: str) -> None:
    before = machine_state()
    vm_runs = sorted(p.name for p in (STATE / "vm" / "run").glob("*"))
    try:
        up = cli("play", str(ON_SWITCH), "--keep", "--json", timeout=3600)
        report = json.loads(up.stdout or "{}")
        bad = [c for c in report.get("checks", []) if c["verdict"] != "enforced"]
        assert up.returncode == 0 and len(report["checks"]) == 5 and not bad, (up.stderr, bad)
        # read without dockerctl: the tap is a port of the lab's bridge, the guest's eth0 holds its address
        hosts = json.loads(cli("hosts", "ls", "--lab", "macvlan-vm", "--json").stdout)["hosts"]
        [vm_row] = [h for h in hosts if h["kind"] == "vm"]
        assert vm_row["address"] == "198.18.109.11", vm_row
        links = json.loads(subprocess.run(["ip", "-json", "link"], capture_output=True, text=True).stdout)
        [tap] = [link for link in links if link.get("ifalias") == "dockerctl-lab=macvlan-vm" and
                 link["ifname"].startswith("dvt-")]  # fmt: skip
        [bridge] = [link for link in links if link["ifname"] == tap["master"]]
        assert bridge.get("ifalias") == "dockerctl-lab=macvlan-vm"
        addr = subprocess.run(
            ["ssh", "-F", str(SSH_CONFIG), "dctl-vm-vmsw2", "ip", "-json", "addr", "show", "dev", "eth0"],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        assert {"198.18.109.11"} <= {a["local"] for a in json.loads(addr)[0]["addr_info"]}
    finally:
        down = cli("down", "--lab", "macvlan-vm", "--volumes", timeout=300)
        assert down.returncode == 0, down.stderr
    assert machine_state() == before  # no tap, bridge, namespace, qemu or engine left
    assert sorted(p.name for p in (STATE / "vm" / "run").glob("*")) == vm_runs


def test_down_purge_removes_the_cached_image_and_only_with_purge(tmp_path: Path) -> None:
    """A state directory of its own (the real cache stays): without --purge the image stays."""
    image = tmp_path / "vm" / "images" / "0123456789abcdef"
    image.mkdir(parents=True)
    (image / "disk.img").write_bytes(b"\0" * 4096)
    env = {**os.environ, "DOCKERCTL_STATE_DIR": str(tmp_path)}

    def down(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dockerctl", "down", "--lab", "purge-test", "--volumes", *extra],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    kept = down()
    assert kept.returncode == 0, kept.stderr
    assert (image / "disk.img").exists()
    purged = down("--purge")
    assert purged.returncode == 0, purged.stderr
    assert not image.exists() and f"removed the cached VM image {image}" in purged.stdout
