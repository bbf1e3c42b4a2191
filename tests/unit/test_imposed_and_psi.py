"""cgroup v2 with systemd (issue 40): a limit the host imposed is its own finding, and PSI is exported with
cAdvisor's names. Read from the real v2 capture laid out as the systemd cgroup driver places a container
(`/system.slice/docker-<id>.scope`), with the values measured on the project's Debian 12 VM host."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from dockerctl.hosts import TreeHost
from dockerctl.observe.cgroup import CgroupReader
from dockerctl.observe.limits import read_container_limits
from dockerctl.observe.pressure import read_pressure
from dockerctl.ops.audit import AuditReport, ContainerAudit
from dockerctl.ops.exporter import Node, Reading, metrics
from dockerctl.ops.top import Sample
from dockerctl.spec.models import Limits
from dockerctl.verify.audit import DEFAULT_FAIL_ON, limit_findings
from dockerctl.verify.limits import verify_limits
from dockerctl.verify.verdict import Check, Verdict
from tests.unit.cgtrees import FIXTURES, PID

CID = "3f" * 32  # a container id as the engine names it


def _tree(tmp: Path, parent: str, edits: dict[str, str]) -> tuple[CgroupReader, str]:
    """The capture at /sys/fs/cgroup/<parent>/<the container's cgroup> with `edits` written."""
    capture = FIXTURES / "cgroup-v2-real"
    mount_line = (capture / "proc-self-cgroup-and-mountinfo.txt").read_text().splitlines()[1]
    leaf = f"docker-{CID}.scope" if parent == "system.slice" else CID
    rel = f"{parent}/{leaf}"
    cgroot = tmp / "fs/sys/fs/cgroup"
    shutil.copytree(capture / "tree", cgroot / rel)
    (cgroot / "cgroup.controllers").write_text((capture / "tree/cgroup.controllers").read_text())
    for name, text in edits.items():
        (cgroot / rel / name).write_text(text)
    proc = tmp / "proc"
    (proc / str(PID)).mkdir(parents=True)
    (proc / str(PID) / "cgroup").write_text(f"0::/{rel}\n")
    (proc / "self").mkdir()
    (proc / "self/mountinfo").write_text(mount_line + "\n")
    (proc / "self/cgroup").write_text("0::/\n")
    return CgroupReader(TreeHost(tmp / "fs", proc)), rel


def _pids(tmp: Path, parent: str, asked: Limits, pids_max: str) -> Check:
    reader, _ = _tree(tmp, parent, {"pids.max": pids_max})
    kernel = read_container_limits(reader, PID, CID)
    return next(c for c in verify_limits(asked, kernel) if c.subject == "pids")


def test_systemds_tasks_max_on_a_container_that_asked_none_is_imposed_and_does_not_fail_audit(
    tmp_path: Path,
) -> None:
    check = _pids(tmp_path, "system.slice", Limits(), "2308\n")
    assert check.verdict is Verdict.IMPOSED and check.ok
    assert check.observed == "2308" and check.desired == "unlimited"
    assert "systemd" in check.note and f"docker-{CID}.scope" in check.note and "TasksMax" in check.note
    assert check.evidence.endswith(f"/system.slice/docker-{CID}.scope/pids.max")
    findings = limit_findings("web", "none", [check])
    assert [f.rule for f in findings] == ["imposed"]
    assert "2308" in findings[0].found and "systemd" in findings[0].found
    report = AuditReport("unix:///run/docker.sock", "vm", DEFAULT_FAIL_ON)
    report.containers.append(ContainerAudit("web", CID, "none", "img", "running", findings=findings))
    assert report.ok and report.findings  # reported, and audit passes by default
    strict = AuditReport("unix:///run/docker.sock", "vm", ("imposed",))
    strict.containers.append(ContainerAudit("web", CID, "none", "img", "running", findings=findings))
    assert not strict.ok  # --fail-on imposed makes it fail


def test_a_limit_asked_and_changed_in_a_scope_stays_a_mismatch(tmp_path: Path) -> None:
    check = _pids(tmp_path, "system.slice", Limits(pids_limit=50), "2308\n")
    assert check.verdict is Verdict.MISMATCH and not check.ok


def test_an_unasked_limit_outside_a_systemd_scope_has_no_known_source_and_stays_a_mismatch(
    tmp_path: Path,
) -> None:
    check = _pids(tmp_path, "docker", Limits(), "2308\n")
    assert check.verdict is Verdict.MISMATCH
    assert [f.rule for f in limit_findings("web", "none", [check])] == ["mismatch"]


def test_pressure_stall_totals_are_exported_in_seconds_with_cadvisors_names(tmp_path: Path) -> None:
    reader, _ = _tree(
        tmp_path,
        "system.slice",
        {
            "cpu.pressure": "some avg10=1.50 avg60=0.40 avg300=0.10 total=2500000\n"
            "full avg10=0.50 avg60=0.10 avg300=0.00 total=750000\n",
            "memory.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=125\n"
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=50\n",
        },
    )
    pressure = read_pressure(reader, PID, CID)
    s = Sample("web", CID, "img", "none", {}, time.monotonic(), pressure=pressure)
    out = {
        (f.name, sample.labels["name"], sample.labels["node"]): sample.value
        for f in metrics([Reading("local", Node("vm1", "n0d3"), [s])], 0, time.monotonic())
        for sample in f.samples
        if sample.name.startswith("container_pressure_")
    }
    assert out == {
        ("container_pressure_cpu_waiting_seconds", "web", "vm1"): 2.5,
        ("container_pressure_cpu_stalled_seconds", "web", "vm1"): 0.75,
        ("container_pressure_memory_waiting_seconds", "web", "vm1"): 0.000125,
        ("container_pressure_memory_stalled_seconds", "web", "vm1"): 0.00005,
    }


def test_every_series_names_its_node_and_a_silent_engine_keeps_it(tmp_path: Path) -> None:
    reader, _ = _tree(tmp_path, "system.slice", {})
    s = Sample("web", CID, "img", "none", {}, time.monotonic(), pressure=read_pressure(reader, PID, CID))
    families = list(
        metrics(
            [Reading("local", Node("node-a", "abc123"), [s]), Reading("h2", Node("node-b", "def456"), None)],
            0,
            time.monotonic(),
        )
    )
    usage = next(f for f in families if f.name == "container_memory_usage_bytes").samples[0]
    assert usage.labels["node"] == "node-a" and usage.labels["node_id"] == "abc123"
    up = {
        x.labels["node_id"]: x.value for f in families if f.name == "dockerctl_engine_up" for x in f.samples
    }
    assert up == {"abc123": 1.0, "def456": 0.0}
