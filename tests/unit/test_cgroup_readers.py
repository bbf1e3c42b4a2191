"""The cgroup locator and memory reader on trees laid out as on real hosts (seed K1, R1–R3).

v2: the real capture from a cgroup v2 host (tests/fixtures/cgroup-v2-real: `-m 100M
--memory-swap 200M` written as runc writes it). v1: this project's hybrid layout, captured here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerctl.hosts import TreeHost
from dockerctl.observe.cgroup import (
    CgroupNotFound,
    CgroupReader,
    MemoryObservation,
    container_cgroup,
    parse_proc_cgroup,
)
from dockerctl.observe.limits import read_container_limits
from dockerctl.spec.models import Limits
from dockerctl.verify.verdict import Verdict, verify_memory
from tests.unit.cgtrees import Tree, v1_tree, v2_tree

M100 = 104857600


def _memory(tree: Tree) -> MemoryObservation:
    """The memory files the product reads: through read_container_limits, as `limits` and --verify do."""
    memory = read_container_limits(tree.reader, tree.pid, tree.container_id).memory()
    assert memory is not None
    return memory


V1_UNLIMITED = "9223372036854771712\n"


def test_parse_proc_cgroup_v1_and_v2_lines(fixtures: Path) -> None:
    lines = parse_proc_cgroup((fixtures / "host-v1" / "proc-pid-cgroup.txt").read_text())
    memory = next(line for line in lines if "memory" in line.controllers)
    assert memory.path.startswith("/docker/")
    unified = next(line for line in lines if line.hierarchy_id == 0)
    assert unified.controllers == frozenset()
    v2 = parse_proc_cgroup("0::/process_api/fbb0eecf26c05fb446ccaebe08952e57\n")
    assert v2[0].path == "/process_api/fbb0eecf26c05fb446ccaebe08952e57"


def test_v2_locator_finds_the_captured_cgroup(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    assert tree.reader.version() == 2
    found = tree.reader.locate(tree.pid, "memory")
    assert found.version == 2
    assert found.path == tree.host_dir


def test_v2_memory_reader_on_real_files(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    obs = _memory(tree)
    assert obs.memory.path.endswith("/memory.max")
    assert obs.swap.path.endswith("/memory.swap.max")
    assert obs.memory_limit == M100
    assert obs.memory_plus_swap == 2 * M100  # memory.max + memory.swap.max


def test_v2_verification_passes_for_what_was_written(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    obs = _memory(tree)
    checks = verify_memory(Limits(memory=M100, memory_swap=2 * M100), obs)
    assert [c.verdict for c in checks] == [Verdict.ENFORCED, Verdict.ENFORCED]
    assert "memory.swap.max" in checks[1].evidence and "swap alone" in checks[1].note


def test_v2_verification_catches_a_different_swap(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    obs = _memory(tree)
    checks = verify_memory(Limits(memory=M100, memory_swap=3 * M100), obs)
    assert checks[0].verdict is Verdict.ENFORCED
    assert checks[1].verdict is Verdict.MISMATCH


def test_v2_max_means_unlimited(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    (tree.cgroup_dir / "memory.swap.max").chmod(0o644)
    (tree.cgroup_dir / "memory.swap.max").write_text("max\n")
    obs = _memory(tree)
    assert obs.memory_plus_swap is None
    checks = verify_memory(Limits(memory=M100, memory_swap=-1), obs)
    assert checks[1].verdict is Verdict.UNLIMITED


def test_v1_hybrid_locator_uses_the_v1_memory_hierarchy(tmp_path: Path, fixtures: Path) -> None:
    tree = v1_tree(
        tmp_path, {"memory.limit_in_bytes": f"{M100}\n", "memory.memsw.limit_in_bytes": f"{2 * M100}\n"}
    )
    assert tree.reader.version() == 1
    found = tree.reader.locate(tree.pid, "memory")
    assert found.version == 1 and found.path == tree.host_dir
    # hugetlb lives only in the (otherwise empty) unified hierarchy here
    assert tree.reader.locate(tree.pid, "hugetlb").version == 2
    cid = (fixtures / "host-v1" / "container-id.txt").read_text().strip()
    assert container_cgroup(tree.reader, tree.pid, cid, "memory").path == tree.host_dir
    with pytest.raises(CgroupNotFound, match="does not name container"):
        container_cgroup(tree.reader, tree.pid, "0" * 64, "memory")


def test_v1_default_swap_is_twice_memory(tmp_path: Path) -> None:
    tree = v1_tree(
        tmp_path, {"memory.limit_in_bytes": f"{M100}\n", "memory.memsw.limit_in_bytes": f"{2 * M100}\n"}
    )
    checks = verify_memory(Limits(memory=M100), _memory(tree))
    assert [(c.subject, c.claim, c.verdict) for c in checks] == [
        ("memory", "R1", Verdict.ENFORCED),
        ("memory+swap", "R3", Verdict.ENFORCED),
    ]


def test_v1_wrong_value_is_a_mismatch_and_page_rounding_is_not(tmp_path: Path) -> None:
    tree = v1_tree(
        tmp_path, {"memory.limit_in_bytes": "99999744\n", "memory.memsw.limit_in_bytes": V1_UNLIMITED}
    )
    obs = _memory(tree)
    rounded = verify_memory(Limits(memory=100000001, memory_swap=-1), obs)
    assert rounded[0].verdict is Verdict.ENFORCED and "rounded down" in rounded[0].note
    assert rounded[1].verdict is Verdict.UNLIMITED
    wrong = verify_memory(Limits(memory=M100), obs)
    assert wrong[0].verdict is Verdict.MISMATCH
    assert wrong[1].verdict is Verdict.MISMATCH  # asked 2 × memory, kernel has no limit


def test_v1_without_swap_accounting_is_not_enforced(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path, {"memory.limit_in_bytes": f"{M100}\n"})
    checks = verify_memory(Limits(memory=M100), _memory(tree))
    assert checks[1].verdict is Verdict.NOT_ENFORCED
    assert "does not account swap" in checks[1].note


def test_gone_process_and_foreign_mount_root(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path, {"memory.limit_in_bytes": f"{M100}\n"})
    with pytest.raises(CgroupNotFound, match="does not exist"):
        tree.reader.locate(999999, "memory")
    # a v1 hierarchy mounted with root /other cannot show a cgroup under /docker
    mountinfo = tree.reader.host.proc_root / "self" / "mountinfo"  # type: ignore[attr-defined]
    mountinfo.write_text(
        mountinfo.read_text().replace(" / /sys/fs/cgroup/memory", " /other /sys/fs/cgroup/memory")
    )
    with pytest.raises(CgroupNotFound, match="outside the mount"):
        tree.reader.locate(tree.pid, "memory")


def test_systemd_driver_paths_are_recognised(tmp_path: Path) -> None:
    cid = "ab" * 32
    proc = tmp_path / "proc"
    (proc / "7").mkdir(parents=True)
    (proc / "7" / "cgroup").write_text(f"0::/system.slice/docker-{cid}.scope\n")
    (proc / "self").mkdir()
    (proc / "self" / "mountinfo").write_text(
        "32 23 0:28 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
    )
    scope = tmp_path / "fs/sys/fs/cgroup/system.slice" / f"docker-{cid}.scope"
    scope.mkdir(parents=True)
    (tmp_path / "fs/sys/fs/cgroup/cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    reader = CgroupReader(TreeHost(tmp_path / "fs", proc))
    assert str(container_cgroup(reader, 7, cid, "memory").path) == "/" + str(
        scope.relative_to(tmp_path / "fs")
    )
