"""Every limit read and judged on file trees as hosts lay them out (seed R1–R7, K1).

v2: the real capture (tests/fixtures/cgroup-v2-real, written as runc writes `-m 100M --memory-swap 200M
--cpu-shares 1024 --cpus 1.5 --pids-limit 50 --device-write-bps <253:0>:30MB --device-read-iops <253:0>:250`).
"""

from __future__ import annotations

from pathlib import Path

from dockerctl.observe.devices import BlockDevice
from dockerctl.observe.limits import read_container_limits
from dockerctl.spec.models import DeviceRate, Limits
from dockerctl.verify.limits import verify_limits
from dockerctl.verify.verdict import Check, Verdict
from tests.unit.cgtrees import v1_tree, v2_tree

M100 = 104857600
DISK = BlockDevice("/dev/vdz", 253, 0, False, None)
V2_ASKED = Limits(
    memory=M100,
    memory_swap=2 * M100,
    cpu_shares=1024,
    cpus=1.5,
    pids_limit=50,
    device_write_bps=(DeviceRate(path="/dev/vdz", rate=31457280),),
    device_read_iops=(DeviceRate(path="/dev/vdz", rate=250),),
)


def _by(checks: list[Check]) -> dict[str, Check]:
    return {c.subject: c for c in checks}


def _v2(
    tmp_path: Path, asked: Limits = V2_ASKED, edits: dict[str, str | None] | None = None
) -> dict[str, Check]:
    tree = v2_tree(tmp_path)
    for name, value in (edits or {}).items():
        path = tree.cgroup_dir / name
        if value is None:
            path.unlink()
        else:
            if path.exists():
                path.chmod(0o644)
            path.write_text(value)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    assert not kernel.errors, kernel.errors
    assert {f.version for f in kernel.controllers.values()} == {2}
    return _by(verify_limits(asked, kernel, {"/dev/vdz": DISK}))


def test_v2_capture_every_written_limit_is_enforced(tmp_path: Path) -> None:
    checks = _v2(tmp_path)
    for subject in (
        "memory",
        "memory+swap",
        "cpu shares",
        "cpus",
        "pids",
        "device-write-bps /dev/vdz (253:0)",
        "device-read-iops /dev/vdz (253:0)",
    ):
        assert checks[subject].verdict is Verdict.ENFORCED, (subject, checks[subject])
    assert checks["cpus"].observed == "150000/100000 µs = 1.5 CPUs"
    assert checks["cpus"].evidence.endswith("/cpu.max")
    assert "linear" in checks["cpu shares"].note  # the capture's runtime wrote 39 for 1024
    assert checks["device-write-bps /dev/vdz (253:0)"].evidence.endswith("/io.max")
    assert checks["cpuset"].verdict is Verdict.UNLIMITED  # cpuset.cpus empty: inherited


def test_v2_newer_runc_weight_is_recognised_and_a_wrong_one_is_not(tmp_path: Path) -> None:
    assert "quadratic" in _v2(tmp_path / "a", edits={"cpu.weight": "100\n"})["cpu shares"].note
    wrong = _v2(tmp_path / "b", edits={"cpu.weight": "50\n"})["cpu shares"]
    assert wrong.verdict is Verdict.MISMATCH and "39 or 100" in wrong.note


def test_v2_unasked_throttle_and_wrong_rate_are_mismatches(tmp_path: Path) -> None:
    only_write = Limits(device_write_bps=(DeviceRate(path="/dev/vdz", rate=10 * 1024 * 1024),))
    checks = _v2(tmp_path, only_write)
    assert checks["device-write-bps /dev/vdz (253:0)"].verdict is Verdict.MISMATCH
    extra = checks["device-read-iops 253:0"]
    assert extra.verdict is Verdict.MISMATCH and "nobody asked" in extra.note


def test_v2_unset_limits_read_as_unlimited(tmp_path: Path) -> None:
    edits: dict[str, str | None] = {
        "memory.max": "max\n",
        "memory.swap.max": "max\n",
        "cpu.max": "max 100000\n",
        "pids.max": "max\n",
        "io.max": "",
        "cpu.weight": "100\n",
    }
    checks = _v2(tmp_path, Limits(), edits)
    for subject in ("memory", "memory+swap", "cpus", "pids"):
        assert checks[subject].verdict is Verdict.UNLIMITED, subject
    assert checks["cpu shares"].verdict is Verdict.ENFORCED  # the default weight


def test_v2_blkio_weight_follows_runc(tmp_path: Path) -> None:
    asked = Limits(blkio_weight=300)
    # io.bfq.weight exists in the capture: runc writes the weight there unconverted; it holds 100
    assert _v2(tmp_path / "a", asked)["blkio weight"].verdict is Verdict.MISMATCH
    bfq = _v2(tmp_path / "b", asked, {"io.bfq.weight": "default 300\n"})["blkio weight"]
    assert bfq.verdict is Verdict.ENFORCED and bfq.evidence.endswith("io.bfq.weight")
    # without BFQ runc converts for io.weight: 300 → 2930
    converted = _v2(tmp_path / "c", asked, {"io.bfq.weight": None, "io.weight": "default 2930\n"})[
        "blkio weight"
    ]
    # … but io.weight acts only where the root's io.cost.qos enables the io cost controller: the
    # capture's host has none (no io.cost.qos at the root), so the number does nothing
    assert converted.verdict is Verdict.NOT_ENFORCED and "2930" in converted.note
    assert "io cost controller" in converted.note and "io.cost.qos" in converted.evidence
    with_iocost = _v2(
        tmp_path / "f",
        asked,
        {"io.bfq.weight": None, "io.weight": "default 2930\n", "../../io.cost.qos": ""},
    )
    assert with_iocost["blkio weight"].verdict is Verdict.NOT_ENFORCED  # root file present but empty
    enabled = _v2(
        tmp_path / "g",
        asked,
        {
            "io.bfq.weight": None,
            "io.weight": "default 2930\n",
            "../../io.cost.qos": "253:0 enable=1 ctrl=auto rpct=0.00 rlat=250000 wpct=0.00 wlat=250000 min=1.00 max=10000.00\n",
        },
    )["blkio weight"]
    assert enabled.verdict is Verdict.ENFORCED and "253:0" in enabled.note
    raw = _v2(tmp_path / "d", asked, {"io.bfq.weight": None})["blkio weight"]  # the capture's io.weight: 300
    assert raw.verdict is Verdict.MISMATCH
    neither = _v2(tmp_path / "e", asked, {"io.bfq.weight": None, "io.weight": None})["blkio weight"]
    assert neither.verdict is Verdict.NOT_ENFORCED


V1_FILES = {
    "cpu/cpu.shares": "512\n",
    "cpu/cpu.cfs_quota_us": "150000\n",
    "cpu/cpu.cfs_period_us": "100000\n",
    "cpuset/cpuset.cpus": "0\n",
    "cpuset/cpuset.effective_cpus": "0\n",
    "pids/pids.max": "50\n",
    "blkio/blkio.bfq.weight": "default 100\n",
    "blkio/blkio.throttle.read_bps_device": "",
    "blkio/blkio.throttle.write_bps_device": "254:0 31457280\n",
    "blkio/blkio.throttle.read_iops_device": "254:0 250\n",
    "blkio/blkio.throttle.write_iops_device": "",
}
VDA = BlockDevice("/dev/vda", 254, 0, False, None)


def _v1(tmp_path: Path, asked: Limits, host_config: dict[str, object] | None = None) -> dict[str, Check]:
    tree = v1_tree(
        tmp_path,
        {"memory.limit_in_bytes": f"{M100}\n", "memory.memsw.limit_in_bytes": f"{2 * M100}\n"},
        V1_FILES,
    )
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    assert not kernel.errors, kernel.errors
    return _by(verify_limits(asked, kernel, {"/dev/vda": VDA}, host_config))


def test_v1_this_hosts_files(tmp_path: Path) -> None:
    asked = Limits(
        memory=M100,
        cpu_shares=512,
        cpus=1.5,
        cpuset_cpus="0",
        pids_limit=50,
        blkio_weight=300,
        device_write_bps=(DeviceRate(path="/dev/vda", rate=31457280),),
        device_read_iops=(DeviceRate(path="/dev/vda", rate=250),),
    )
    checks = _v1(tmp_path, asked, {"BlkioWeight": 0, "CpuShares": 512})
    for subject in (
        "memory",
        "memory+swap",
        "cpu shares",
        "cpus",
        "cpuset",
        "pids",
        "device-write-bps /dev/vda (254:0)",
        "device-read-iops /dev/vda (254:0)",
    ):
        assert checks[subject].verdict is Verdict.ENFORCED, (subject, checks[subject])
    weight = checks["blkio weight"]
    assert weight.verdict is Verdict.NOT_ENFORCED and weight.engine == "unset"
    assert "discarded" in weight.note
    assert checks["cpu shares"].engine == "512"


def test_v1_wrong_values_are_mismatches(tmp_path: Path) -> None:
    asked = Limits(cpu_shares=1024, cpus=0.5, cpuset_cpus="1", pids_limit=10)
    checks = _v1(tmp_path, asked)
    for subject in ("cpu shares", "cpus", "cpuset", "pids"):
        assert checks[subject].verdict is Verdict.MISMATCH, subject


def test_unresolvable_device_is_unknown(tmp_path: Path) -> None:
    asked = Limits(device_write_bps=(DeviceRate(path="/dev/gone", rate=1024),))
    tree = v1_tree(tmp_path, {"memory.limit_in_bytes": "1\n"}, V1_FILES)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    checks = _by(verify_limits(asked, kernel, {"/dev/gone": "/dev/gone does not exist"}))
    assert checks["device-write-bps /dev/gone"].verdict is Verdict.UNKNOWN


def test_files_of_a_cgroup_being_removed_read_empty_and_are_unknown(tmp_path: Path) -> None:
    """Read while the container stops (the exporter under a container churn saw it): a limit file that
    holds no number is an unknown check, not a crash of the whole scrape."""
    from dockerctl.errors import DockerctlError
    from dockerctl.observe.pressure import read_pressure

    files = {**V1_FILES, "cpu/cpu.shares": "", "cpu/cpu.cfs_period_us": "", "pids/pids.current": ""}
    tree = v1_tree(tmp_path, {"memory.limit_in_bytes": "", "memory.memsw.limit_in_bytes": ""}, files)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    checks = _by(verify_limits(Limits(memory=M100, cpus=1.5), kernel, {"/dev/vda": VDA}))
    for subject in ("memory", "cpu shares", "cpus"):
        assert checks[subject].verdict is Verdict.UNKNOWN and "held no number" in checks[subject].note, (
            subject
        )
    assert checks["pids"].verdict is not Verdict.UNKNOWN  # the files that were whole are judged
    try:
        read_pressure(tree.reader, tree.pid, tree.container_id)
    except DockerctlError as exc:  # one clear error for that container, which top and the exporter skip
        assert "held no number" in exc.message and "stopping" in exc.message
    else:
        raise AssertionError("an empty counter file read as a figure")
