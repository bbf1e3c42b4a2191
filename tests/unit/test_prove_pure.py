"""The pure parts of the proofs: planning, the timing script and its parser, the verdicts."""

from __future__ import annotations

from pathlib import Path

from dockerctl.hosts import TreeHost
from dockerctl.prove.cpu import judge_ratio
from dockerctl.prove.io import Step, judge, parse_timings, plan_steps, script
from dockerctl.prove.memory import host_swap_bytes
from dockerctl.verify.verdict import Verdict

MIB = 1024 * 1024


def test_plan_sizes_each_step_for_about_two_seconds() -> None:
    steps = {s.label: s for s in plan_steps({"device_write_bps": 10 * MIB, "device_read_iops": 250})}
    assert steps["device_write_bps"].amount == 20 * MIB
    assert (
        "oflag=direct" in steps["device_write_bps"].command
        and "count=20" in steps["device_write_bps"].command
    )
    assert steps["device_read_iops"].amount == 500
    assert (
        "iflag=direct" in steps["device_read_iops"].command and "bs=4k" in steps["device_read_iops"].command
    )


def test_prepare_writes_only_what_the_reads_need() -> None:
    steps = plan_steps({"device_read_bps": 20 * MIB, "device_write_iops": 100})
    text = script(steps, prepare=True)
    assert "of=/data/bps.src bs=1M count=40" in text
    assert "iops.src" not in text  # the iops step writes, it reads nothing
    assert text.count("dctl-io ") == 2


def test_parse_timings_from_container_output() -> None:
    output = (
        "dctl-io device_write_bps rc=0 start=1385.76 end=1387.77\n"
        "some noise\n"
        "dctl-io device_read_iops rc=1 start=1388.00 end=1388.01\n"
    )
    got = parse_timings(output)
    assert got["device_write_bps"][0] == 0 and abs(got["device_write_bps"][1] - 2.01) < 1e-9
    assert got["device_read_iops"][0] == 1


def test_io_verdicts() -> None:
    step = Step("device_write_bps", "dd …", 20 * MIB)
    assert judge(step, 10 * MIB, 2.01, 0.02, 0.10, "/dev/vda").verdict is Verdict.ENFORCED
    assert judge(step, 10 * MIB, 0.5, 0.02, 0.10, "/dev/vda").verdict is Verdict.MISMATCH  # 40 MiB/s
    slow_disk = judge(step, 10 * MIB, 2.5, 2.4, 0.10, "/dev/vda")
    assert slow_disk.verdict is Verdict.UNKNOWN and "not clearly faster" in slow_disk.note
    assert judge(step, 10 * MIB, None, 0.02, 0.10, "/dev/vda").verdict is Verdict.UNKNOWN


def test_cpu_ratio_verdicts() -> None:
    assert judge_ratio(2_660, 1_330, 1024, 512, 4, 0.25, "e", 0).verdict is Verdict.ENFORCED
    assert judge_ratio(2_000, 2_000, 1024, 512, 4, 0.25, "e", 0).verdict is Verdict.MISMATCH
    assert judge_ratio(1, 0, 1024, 512, 4, 0.25, "e", 0).verdict is Verdict.UNKNOWN


def test_host_swap_from_proc_swaps(tmp_path: Path) -> None:
    host = TreeHost(tmp_path, tmp_path)
    (tmp_path / "swaps").write_text("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
    assert host_swap_bytes(host) == 0
    (tmp_path / "swaps").write_text(
        "Filename\tType\tSize\tUsed\tPriority\n/swapfile  file  2097148  0  -2\n/dev/zram0 partition 1024 0 100\n"
    )
    assert host_swap_bytes(host) == (2097148 + 1024) * 1024
