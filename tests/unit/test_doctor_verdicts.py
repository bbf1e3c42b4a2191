"""doctor's verdicts from facts: a v2 host (the real capture) and this project's v1 host layout."""

from __future__ import annotations

from pathlib import Path

from dockerctl.observe.hostfacts import CommandResult, EngineFacts, kernel_facts
from dockerctl.verify.doctor import Support, assess
from tests.unit.cgtrees import v1_tree, v2_tree

ENGINE = EngineFacts(
    "unix:///var/run/docker.sock",
    True,
    version={"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12"},
    info={
        "Driver": "overlay2",
        "DriverStatus": [["Backing Filesystem", "extfs"]],
        "CgroupDriver": "cgroupfs",
        "CgroupVersion": "1",
        "Swarm": {"LocalNodeState": "inactive"},
        "SecurityOptions": ["name=seccomp,profile=default"],
    },
)


def _by_topic(caps: list) -> dict[str, Support]:  # type: ignore[type-arg]
    return {c.topic: c.verdict for c in caps}


def test_v2_host_reads_io_weight_and_swap_max(tmp_path: Path) -> None:
    tree = v2_tree(tmp_path)
    facts = kernel_facts(tree.reader.host, probe_links=False)
    assert facts.cgroup_version == 2
    assert facts.probe_dir == str(tree.host_dir)
    engine = EngineFacts(
        ENGINE.url,
        True,
        version=ENGINE.version,
        info={**ENGINE.info, "CgroupVersion": "2", "CgroupDriver": "systemd"},
    )
    verdicts = _by_topic(assess(engine, facts))
    assert verdicts["cgroup version and driver"] is Support.SUPPORTED
    assert verdicts["memory limit"] is Support.SUPPORTED
    assert verdicts["swap accounting"] is Support.SUPPORTED
    assert verdicts["CPU shares/weight"] is Support.SUPPORTED
    # io.weight exists on that host, but its root has no io.cost.qos (and the capture has no disks):
    # nothing is known to act on a weight, so it is not counted as supported
    assert verdicts["block-IO weight"] is Support.NOT_SUPPORTED
    weight = next(c for c in assess(engine, facts) if c.topic == "block-IO weight")
    assert "io.cost.qos absent" in weight.detail and "io.cost.qos" in weight.evidence
    # with the io cost controller on for a device, it is
    root = tree.cgroup_dir.parent.parent  # /sys/fs/cgroup of the tree: the v2 root
    (root / "io.cost.qos").write_text(
        "253:0 enable=1 ctrl=auto rpct=0.00 rlat=250000 wpct=0.00 wlat=250000\n"
    )
    on = next(
        c
        for c in assess(engine, kernel_facts(tree.reader.host, probe_links=False))
        if c.topic == "block-IO weight"
    )
    assert on.verdict is Support.SUPPORTED and "io cost controller for 253:0" in on.detail
    assert verdicts["device throttling"] is Support.SUPPORTED
    controllers = next(c for c in assess(engine, facts) if c.topic == "mounted controllers")
    assert controllers.detail == "cpu cpuset hugetlb io memory pids"


def test_v1_host_without_weight_files_says_not_supported(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path, {})
    fs = tree.reader.host.fs_root / "sys/fs/cgroup"
    (fs / "memory/memory.limit_in_bytes").write_text("9223372036854771712\n")
    (fs / "memory/memory.memsw.limit_in_bytes").write_text("9223372036854771712\n")
    (fs / "cpu").mkdir(parents=True)
    (fs / "cpu/cpu.shares").write_text("1024\n")
    (fs / "blkio").mkdir(parents=True)
    (fs / "blkio/blkio.throttle.read_bps_device").write_text("")
    facts = kernel_facts(tree.reader.host, probe_links=False)
    facts.links = {
        "veth": CommandResult("unshare …veth", 0, ""),
        "dummy": CommandResult("unshare …dummy", 2, "Error: Unknown device type."),
        "ipvlan": CommandResult("unshare …ipvlan", None, "unshare: not installed"),
    }
    caps = assess(ENGINE, facts)
    verdicts = _by_topic(caps)
    assert verdicts["block-IO weight"] is Support.NOT_SUPPORTED
    weight = next(c for c in caps if c.topic == "block-IO weight")
    assert "blkio.weight" in weight.evidence and "blkio.bfq.weight" in weight.evidence
    assert verdicts["swap accounting"] is Support.SUPPORTED
    assert verdicts["device throttling"] is Support.SUPPORTED
    assert verdicts["link type veth"] is Support.SUPPORTED
    assert verdicts["link type dummy"] is Support.NOT_SUPPORTED
    assert verdicts["link type ipvlan"] is Support.UNKNOWN
    assert "hybrid" in next(c for c in caps if c.topic == "cgroup version and driver").detail


def test_unreachable_engine_is_reported_and_kernel_still_read(tmp_path: Path) -> None:
    tree = v1_tree(tmp_path, {"memory.limit_in_bytes": "1\n"})
    down = EngineFacts("unix:///nope.sock", False, "no Docker engine answers at unix:///nope.sock")
    caps = assess(down, kernel_facts(tree.reader.host, probe_links=False))
    assert caps[0].topic == "engine reachable" and caps[0].verdict is Support.NOT_SUPPORTED
    assert "nope.sock" in caps[0].detail
    assert any(c.topic == "memory limit" for c in caps)
    assert not any(c.topic == "swarm state" for c in caps)
