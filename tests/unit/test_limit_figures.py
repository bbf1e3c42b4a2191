"""The exporter's dockerctl_limit_asked / _kernel figures come from what the checks read, never from the
text they show (issue 38): a cpuset "0-1" is 2 CPUs (the old text regex read it as 0), a v2 cpu.weight
is the shares it stands for (the old regex read nothing from "cpu.weight 39"), and no limit is +Inf.

v1: the files of this host's Docker (hybrid layout) for `--cpuset-cpus 0-1 --cpu-shares 512` with no
memory or pids limit, as the kernel writes them. v2: the real capture (tests/fixtures/cgroup-v2-real)."""

from __future__ import annotations

import math
import time
from pathlib import Path

from dockerctl.observe.devices import BlockDevice
from dockerctl.observe.limits import read_container_limits
from dockerctl.observe.pressure import Pressure
from dockerctl.ops.exporter import Node, Reading, metrics
from dockerctl.ops.top import Sample
from dockerctl.spec.models import DeviceRate, Limits
from dockerctl.verify.limits import io_to_blkio_weight, verify_limits, weight_to_shares
from dockerctl.verify.verdict import Check, Verdict
from tests.unit.cgtrees import v1_tree, v2_tree

V1_UNLIMITED = "9223372036854771712\n"  # what v1 memory files hold with no limit (PAGE_COUNTER_MAX pages)
V1_FILES = {
    "cpu/cpu.shares": "512\n",
    "cpu/cpu.cfs_quota_us": "-1\n",
    "cpu/cpu.cfs_period_us": "100000\n",
    "cpuset/cpuset.cpus": "0-1\n",
    "cpuset/cpuset.effective_cpus": "0-1\n",
    "pids/pids.max": "max\n",
    "blkio/blkio.weight": "500\n",
    "blkio/blkio.throttle.read_bps_device": "",
    "blkio/blkio.throttle.write_bps_device": "",
    "blkio/blkio.throttle.read_iops_device": "",
    "blkio/blkio.throttle.write_iops_device": "",
}
VDZ = BlockDevice("/dev/vdz", 253, 0, False, None)


def _figures(checks: list[Check]) -> dict[str, dict[str, float]]:
    """What one scrape of these checks exports: {metric: {limit: value}}."""
    s = Sample("web", "3f" * 32, "img", "none", {}, time.monotonic(), pressure=Pressure(), checks=checks)
    out: dict[str, dict[str, float]] = {}
    for family in metrics([Reading("local", Node("vm1", ""), [s])], 0, time.monotonic()):
        if family.name.startswith("dockerctl_limit_"):
            out[family.name] = {x.labels["limit"]: x.value for x in family.samples}
    return out


def _v1(tmp: Path, asked: Limits, edits: dict[str, str] | None = None) -> list[Check]:
    memory = {"memory.limit_in_bytes": V1_UNLIMITED, "memory.memsw.limit_in_bytes": V1_UNLIMITED}
    tree = v1_tree(tmp, memory, {**V1_FILES, **(edits or {})})
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    assert not kernel.errors, kernel.errors
    return verify_limits(asked, kernel)


def _v2(tmp: Path, asked: Limits, edits: dict[str, str] | None = None) -> list[Check]:
    tree = v2_tree(tmp)
    for name, text in (edits or {}).items():
        (tree.cgroup_dir / name).write_text(text)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    assert not kernel.errors, kernel.errors
    return verify_limits(asked, kernel, {"/dev/vdz": VDZ})


def test_v1_cpuset_is_its_number_of_cpus_and_shares_are_shares(tmp_path: Path) -> None:
    checks = _v1(tmp_path, Limits(cpuset_cpus="0-1", cpu_shares=512))
    assert all(c.verdict is not Verdict.UNKNOWN for c in checks), checks
    got = _figures(checks)
    asked, kernel = got["dockerctl_limit_asked"], got["dockerctl_limit_kernel"]
    assert asked["cpuset"] == kernel["cpuset"] == 2.0  # "0-1": CPUs 0 and 1, not the leading "0"
    assert asked["cpu shares"] == kernel["cpu shares"] == 512.0
    for limit in ("memory", "memory+swap", "pids", "cpus"):  # none asked, none held
        assert asked[limit] == kernel[limit] == math.inf, limit
    assert kernel["blkio weight"] == 500.0 and "blkio weight" not in asked  # a weight is never +Inf
    assert set(got["dockerctl_limit_holds"].values()) == {1.0}


def test_v1_a_cpuset_held_otherwise_is_counted_from_the_kernel(tmp_path: Path) -> None:
    checks = _v1(tmp_path, Limits(cpuset_cpus="0-1"), {"cpuset/cpuset.cpus": "1\n"})
    got = _figures(checks)
    assert got["dockerctl_limit_asked"]["cpuset"] == 2.0 and got["dockerctl_limit_kernel"]["cpuset"] == 1.0
    assert got["dockerctl_limit_holds"]["cpuset"] == 0.0
    unasked = _figures(_v1(tmp_path / "b", Limits()))  # none asked: no asked figure, the kernel's set
    want, have = unasked["dockerctl_limit_asked"], unasked["dockerctl_limit_kernel"]
    assert "cpuset" not in want and have["cpuset"] == 2.0
    assert want["cpu shares"] == 1024.0 and have["cpu shares"] == 512.0  # the default, asked by nobody


def test_v2_capture_weight_is_the_shares_it_stands_for(tmp_path: Path) -> None:
    asked = Limits(memory=104857600, memory_swap=209715200, cpu_shares=1024, cpus=1.5, pids_limit=50)
    got = _figures(_v2(tmp_path, asked))
    want, have = got["dockerctl_limit_asked"], got["dockerctl_limit_kernel"]
    # the capture's cpu.weight 39 is older runc's linear conversion of 1024 shares
    assert want["cpu shares"] == have["cpu shares"] == 1024.0
    assert want["memory"] == have["memory"] == 104857600.0
    assert want["memory+swap"] == have["memory+swap"] == 209715200.0  # memory.max + memory.swap.max
    assert want["cpus"] == have["cpus"] == 1.5 and want["pids"] == have["pids"] == 50.0
    # an empty cpuset.cpus inherits: the count is of cpuset.cpus.effective (0-15 on the captured host)
    assert have["cpuset"] == 16.0 and "cpuset" not in want
    assert have["blkio weight"] == 100.0  # io.bfq.weight: the weight unconverted
    newer = _figures(_v2(tmp_path / "b", asked, {"cpu.weight": "100\n"}))  # newer runc's conversion
    assert newer["dockerctl_limit_kernel"]["cpu shares"] == 1024.0
    wrong = _figures(_v2(tmp_path / "c", asked, {"cpu.weight": "50\n"}))  # no runtime writes 50 for 1024
    assert wrong["dockerctl_limit_kernel"]["cpu shares"] == weight_to_shares(50) == 1286.0  # cAdvisor's
    assert wrong["dockerctl_limit_holds"]["cpu shares"] == 0.0


def test_v2_unlimited_is_inf_and_throttles_are_rates(tmp_path: Path) -> None:
    edits = {name: "max\n" for name in ("memory.max", "memory.swap.max", "pids.max")}
    edits["cpu.max"] = "max 100000\n"
    asked = Limits(device_write_bps=(DeviceRate(path="/dev/vdz", rate=10 * 2**20),))
    got = _figures(_v2(tmp_path, asked, edits))
    want, have = got["dockerctl_limit_asked"], got["dockerctl_limit_kernel"]
    for limit in ("memory", "memory+swap", "cpus", "pids"):
        assert want[limit] == have[limit] == math.inf, limit
    assert want["device-write-bps /dev/vdz (253:0)"] == 10 * 2**20
    assert have["device-write-bps /dev/vdz (253:0)"] == 31457280  # the capture's io.max wbps
    # the capture's riops=250 that nobody asked for: asked none (+Inf), held 250 IO/s
    assert want["device-read-iops 253:0"] == math.inf and have["device-read-iops 253:0"] == 250


def test_v2_io_weight_is_read_back_as_the_blkio_weight(tmp_path: Path) -> None:
    edits = {"io.weight": "default 2930\n"}  # runc's conversion of blkio weight 300
    tree = v2_tree(tmp_path)
    (tree.cgroup_dir / "io.bfq.weight").unlink()
    for name, text in edits.items():
        (tree.cgroup_dir / name).write_text(text)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    check = next(c for c in verify_limits(Limits(blkio_weight=300), kernel) if c.subject == "blkio weight")
    assert (check.desired_value, check.observed_value) == (300, 300)
    assert all(io_to_blkio_weight(1 + (w - 10) * 9999 // 990) == w for w in range(10, 1001))
    # nobody asked, io.weight holds the kernel's default: no figure (converted, 100 would read as 20)
    (tree.cgroup_dir / "io.weight").write_text("default 100\n")
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    unasked = next(c for c in verify_limits(Limits(), kernel) if c.subject == "blkio weight")
    assert unasked.observed_value is None and unasked.desired_value is None


def test_the_figures_are_the_checks_numbers_whatever_their_text_says() -> None:
    """The display text may change freely: the metrics follow the numbers carried beside it."""
    shown = Check(
        "cpuset", "-", "CPUs 0 to 1", "0 and 1", Verdict.ENFORCED, "x", desired_value=2, observed_value=2
    )
    none = Check("memory", "R1", "64MiB", "unreadable", Verdict.UNKNOWN, "", desired_value=64 * 2**20)
    got = _figures([shown, none])
    assert got["dockerctl_limit_asked"] == {"cpuset": 2.0, "memory": 64 * 2**20}
    assert got["dockerctl_limit_kernel"] == {"cpuset": 2.0}  # nothing read: no kernel series
    assert "desired_value" not in shown.to_dict()  # reports keep their fields (JSON has no +Inf)
