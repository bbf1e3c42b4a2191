"""Cleanups that say exactly what they could not do (issue 36, finding 10): a simulated host's cgroup
sweep finds its cgroups on a cgroup v2 host as on v1, and a storage pool's teardown names each path
of its data that could not be removed instead of reporting the data gone."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from dockerctl.errors import DockerctlError
from dockerctl.hosts import LocalHost

FIXTURES = Path(__file__).parent.parent / "fixtures"
CID = "4f2a" * 16  # a container's cgroup, named by its id


@pytest.fixture
def killed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids the sweep would SIGKILL (none is: these trees are files, their pids made up)."""
    got: list[int] = []

    def signal_all(self: LocalHost, pids: Sequence[int], sig: int, wait: float) -> list[int]:
        got.extend(pids)
        return []

    monkeypatch.setattr(LocalHost, "signal_all", signal_all)
    return got


def _cgroup(directory: Path, pids: str = "") -> Path:
    """A cgroup v2 directory as the kernel shows one (the real capture's files), holding `pids`."""
    shutil.copytree(FIXTURES / "cgroup-v2-real" / "tree", directory)
    (directory / "cgroup.procs").write_text(pids)
    return directory


def test_the_sweep_finds_a_simulated_hosts_cgroups_on_a_v2_host(tmp_path: Path, killed: list[int]) -> None:
    from dockerctl.fabric import simhost

    base = tmp_path / "cgroup"  # /sys/fs/cgroup of a cgroup v2 host: one unified tree
    base.mkdir()
    (base / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids\n")
    _cgroup(base / "system.slice" / "other.scope", "1\n")  # not the engine's: never touched
    mine = _cgroup(base / "dctl-h1" / CID, "4242\n4243\n")
    (base / "dctl-h1" / "empty-child").mkdir()

    assert simhost.cgroup_tops("/dctl-h1", base) == [base / "dctl-h1"]
    failed = simhost._remove_cgroups(simhost.SimEngine("h1", "172.30.1.1/24"), base)
    assert killed == [4242, 4243]
    assert not (base / "dctl-h1" / "empty-child").exists()  # removed
    # a plain directory keeps its files (cgroupfs would not): each one left is said, once, with why
    assert failed == [f"cgroup {mine} (Directory not empty)"]
    assert (base / "system.slice" / "other.scope" / "cgroup.procs").read_text() == "1\n"


def test_the_sweep_still_finds_them_on_a_v1_host(tmp_path: Path, killed: list[int]) -> None:
    from dockerctl.fabric import simhost

    base = tmp_path / "cgroup"  # v1 (hybrid, as this machine): a tree per controller
    for hierarchy in ("memory", "cpu,cpuacct", "pids"):
        (base / hierarchy / "dctl-h1" / CID).mkdir(parents=True)
        (base / hierarchy / "dctl-h1" / CID / "cgroup.procs").write_text("77\n")
    (base / "cpu").symlink_to("cpu,cpuacct")
    (base / "unified").mkdir()
    (base / "unified" / "cgroup.controllers").write_text("")

    tops = simhost.cgroup_tops("/dctl-h1", base)
    assert tops == [base / h / "dctl-h1" for h in ("cpu,cpuacct", "memory", "pids")]
    simhost._remove_cgroups(simhost.SimEngine("h1", "172.30.1.1/24"), base)
    assert killed == [77]


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Files made immutable (chattr +i) by the test; made mutable again whatever happens."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    made: list[Path] = []
    yield made
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def _freeze(path: Path, made: list[Path]) -> None:
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this filesystem has no immutable files: {done.stderr.strip()}")
    made.append(path)


def test_pool_teardown_names_the_data_it_could_not_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, immutable: list[Path]
) -> None:
    from dockerctl.fabric import gluster

    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    pool = gluster.Pool(f"lab-{tmp_path.name[-8:]}", (gluster.PoolHost("gh1", "198.18.0.10"),))
    gluster.save(pool)
    for d in (pool.work("gh1"), pool.run_dir("gh1"), pool.mnt("gh1"), pool.brick(pool.hosts[0].name, "v1")):
        d.mkdir(parents=True, exist_ok=True)
    data = pool.brick("gh1", "v1") / "data.bin"
    data.write_text("the volume's data\n")
    (pool.root / "volumes").mkdir()
    (pool.root / "volumes" / "v1.json").write_text('{"size_gb": 1}')
    _freeze(data, immutable)

    with pytest.raises(DockerctlError) as caught:  # `down --volumes`
        gluster.stop(pool, keep_data=False)
    text = str(caught.value)
    assert f"{data} (Operation not permitted)" in text and "still on disk" in text
    assert str(pool.brick("gh1", "v1")) + " (" not in text  # the file that stayed, not every parent of it
    assert (pool.root / "pool.json").exists()  # kept: a later `down` tries again
    assert not pool.run_dir("gh1").exists() and not (pool.root / "volumes").exists()  # the rest went

    subprocess.run(["chattr", "-i", str(data)], check=True)
    assert gluster.stop(pool, keep_data=False) == []  # and it does
    assert not pool.root.exists()


def test_deleting_a_volume_names_the_brick_it_could_not_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, immutable: list[Path]
) -> None:
    from dockerctl.fabric import gluster

    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(gluster, "volume_info", lambda *a, **k: None)  # GlusterFS no longer has it
    pool = gluster.Pool("lab-v", (gluster.PoolHost("gh1", "198.18.0.10"),))
    data = pool.brick("gh1", "v1") / "data.bin"
    data.parent.mkdir(parents=True)
    data.write_text("x")
    _freeze(data, immutable)
    with pytest.raises(DockerctlError, match=r"data of volume v1 could not all be removed: .*data\.bin"):
        gluster.delete_volume(pool, "v1")
