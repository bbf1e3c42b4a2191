"""Storage judged by verify/storage.py: a file a container reads, `rm -v` (S9), and the GlusterFS pool
across hosts (V1, V2) on the exit codes, output and mount lines the proof containers gave."""

from __future__ import annotations

from dockerctl.netmodels.weave.verdicts import resolves
from dockerctl.verify import services, storage

GLUSTER = ("fuse.glusterfs", "198.18.106.10:/lab-data")


def test_a_file_is_judged_by_its_content() -> None:
    ok = storage.file_contains("x:/d/f", "hello", 0, "hello world\n", "cat")
    assert ok.ok and ok.observed == "contains 'hello'"
    other = storage.file_contains("x:/d/f", "hello", 0, "bye\n", "cat")
    assert not other.ok and other.observed == "does not contain it; starts 'bye'"
    missing = storage.file_contains("x:/d/f", "hello", 1, "cat: can't open '/d/f'\n", "cat")
    assert not missing.ok and missing.observed.startswith("unreadable: cat:")


def test_rm_v_takes_the_anonymous_volume_and_keeps_the_named_one() -> None:
    anon, named = "f" * 64, "lab-data"
    assert [c.ok for c in storage.removed_with_container(anon, named, "data", {named})] == [True, True]
    assert [c.ok for c in storage.removed_with_container(anon, named, "data", {anon, named})] == [False, True]
    assert [c.ok for c in storage.removed_with_container(anon, named, "data", set())] == [True, False]


def test_shared_needs_the_token_read_back_through_the_pool_on_both_hosts() -> None:
    def judge(read_output: str, r_mount: tuple[str, str] = GLUSTER, r_exit: int = 0) -> bool:
        return storage.shared("v", "tok", (0, GLUSTER), (r_exit, read_output, r_mount),
                              hosts=("h1", "h2"), target="/v", evidence="mountinfo").ok  # fmt: skip

    assert judge("tok\n1 2 0:50 / /v rw - fuse.glusterfs 198.18.106.10:/lab-data rw\n")
    assert not judge("other\n")
    assert not judge("tok\n", ("ext4", "/dev/sda1"))  # a local directory, not the pool
    assert not judge("tok\n", r_exit=1)
    seen = storage.shared(
        "v", "tok", (0, GLUSTER), (0, "", ("", "")), hosts=("h1", "h2"), target="/v", evidence=""
    )
    assert (
        seen.observed
        == "h2 read '' (written 'tok'); mounts: h1 fuse.glusterfs 198.18.106.10:/lab-data, h2 none "
    )


def test_capacity_is_about_the_size_and_refuses_more() -> None:
    assert storage.capacity("v", 1024, 1229, 990, True, "df").ok
    assert not storage.capacity("v", 1024, 1229, 990, False, "df").ok  # the write went through
    assert not storage.capacity("v", 1024, 1229, 50_000, True, "df").ok  # the disk, not the volume
    assert (
        storage.capacity("v", 1024, 1229, 990, False, "df").observed
        == "990 MB (df); the write was not stopped"
    )


def test_the_replica_serves_while_a_host_is_down_and_heals_after() -> None:
    lines = ["tok", "tok-during"]
    ok = storage.replica_serves(
        "d", "h2", "h1", offline=True, exits_ok=True, lines=lines, token="tok", evidence=""
    )
    assert ok.ok and "its brick offline" in ok.observed
    assert not storage.replica_serves("d", "h2", "h1", offline=False, exits_ok=True, lines=lines, token="tok",
                                      evidence="").ok  # fmt: skip
    assert not storage.replica_serves("d", "h2", "h1", offline=True, exits_ok=True, lines=["tok"], token="tok",
                                      evidence="").ok  # fmt: skip
    assert storage.healed("d", "h2", True, 45, "").ok
    late = storage.healed("d", "h2", False, 45, "")
    assert not late.ok and late.observed == "not healed within 45 s"


def test_placement_and_name_resolution() -> None:
    assert services.placement("web", ["h1", "h2"], ["h2", "h1", "h1"]).ok
    assert not services.placement("web", ["h1", "h2"], ["h1"]).ok
    assert services.placement("web", ["h1"], []).observed == "no running task"
    assert not services.off_the_lab("web.1", "abcdef0123456789", "").ok
    answer = "Server:\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nName:\tb.weave.local\nAddress: 10.32.0.3\n"
    assert resolves("b.weave.local", "a", "10.32.0.3", 0, answer, "nslookup").ok
    assert not resolves("b.weave.local", "a", "10.32.0.4", 0, answer, "nslookup").ok
    failed = resolves(
        "b.weave.local", "a", "10.32.0.3", 1, "** server can't find b.weave.local: NXDOMAIN\n", ""
    )
    assert not failed.ok and failed.observed == "** server can't find b.weave.local: NXDOMAIN"
