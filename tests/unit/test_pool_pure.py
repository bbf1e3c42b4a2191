"""Storage across hosts, the pure parts: the plugin protocol's answers, the driver's options, the
playbook's storage section, and the GlusterFS/mountinfo parsers on output captured from real GlusterFS
10.3 and a real container (tests/fixtures/gluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.fabric.gluster import Pool, PoolHost, check_brick_dir, parse_volume_info
from dockerctl.plugins.gluster_volume import GlusterVolumeDriver, app_for, parse_options
from dockerctl.plugins.protocol import Caller, PluginApp, PluginError
from dockerctl.prove.pool import _brick_offline, mount_of
from dockerctl.spec.playbook import load_playbook
from dockerctl.spec.storage import volume_size_gb

CALLER = Caller(pid=1, netns=1)


def _app() -> PluginApp:
    app = PluginApp(["VolumeDriver"])

    def boom(_b: dict[str, object], _c: Caller) -> dict[str, object]:
        raise KeyError("x")

    def refuse(_b: dict[str, object], _c: Caller) -> dict[str, object]:
        raise PluginError("no such volume: v")

    app.route("/VolumeDriver.Boom", boom)
    app.route("/VolumeDriver.Refuse", refuse)
    return app


def test_activate_names_what_the_plugin_implements() -> None:
    assert _app().handle("/Plugin.Activate", b"", CALLER) == (200, {"Implements": ["VolumeDriver"]})


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/VolumeDriver.Nope", b"{}", 404, "is not implemented"),  # the engine falls back on 404
        ("/VolumeDriver.Refuse", b"{not json", 400, "not JSON"),
        ("/VolumeDriver.Refuse", b"[1, 2]", 400, "JSON object"),
        ("/VolumeDriver.Refuse", b"{}", 500, "no such volume: v"),
        ("/VolumeDriver.Boom", b"{}", 500, "KeyError"),  # a bug is still the protocol's Err
    ],
)
def test_what_the_plugin_does_not_understand_is_answered_with_err(
    path: str, body: bytes, status: int, words: str
) -> None:
    got_status, answer = _app().handle(path, body, CALLER)
    assert got_status == status
    assert set(answer) == {"Err"} and words in answer["Err"]


@pytest.mark.parametrize(
    ("opts", "size"),
    [({}, 1.0), ({"size": "2"}, 2.0), ({"size": "0.5"}, 0.5), ({"size": "2G"}, 2.0), ({"size": "3GB"}, 3.0)],
)
def test_size_is_in_gb_as_in_the_course(opts: dict[str, str], size: float) -> None:
    assert volume_size_gb(opts) == size


@pytest.mark.parametrize(
    ("opts", "words"),
    [
        ({"size": "two"}, "is not a number of GB"),
        ({"size": "-1"}, "from 0.01 to 1024"),
        ({"size": "0"}, "from 0.01 to 1024"),
        ({"sise": "2"}, "unknown option(s) sise"),
        ({"size": "2", "type": "nfs"}, "it takes: size"),
    ],
)
def test_bad_options_are_refused_saying_what_would_be_right(opts: dict[str, str], words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        volume_size_gb(opts, where="volumes.data.options")
    assert words in caught.value.message and caught.value.where == "volumes.data.options"
    with pytest.raises(PluginError, match=r"GB|option"):
        parse_options(opts)  # the plugin answers the same check as the protocol's Err


def test_an_engine_that_is_not_a_pool_host_is_told_which_are() -> None:
    pool = Pool("lab", (PoolHost("nosuchhost1", "198.18.9.10"), PoolHost("nosuchhost2", "198.18.9.11")))
    app = app_for(pool)
    status, answer = app.handle("/VolumeDriver.Create", json.dumps({"Name": "v"}).encode(), CALLER)
    assert status == 500 and "not a host of lab lab's storage pool" in answer["Err"]
    assert "nosuchhost1, nosuchhost2" in answer["Err"]
    # listing from such an engine is not an error: it simply has none of the pool's volumes
    assert app.handle("/VolumeDriver.List", b"{}", CALLER) == (200, {"Volumes": []})
    assert app.handle("/VolumeDriver.Capabilities", b"", CALLER) == (
        200,
        {"Capabilities": {"Scope": "global"}},
    )
    assert GlusterVolumeDriver(pool).host_of(CALLER) is None


def test_volume_info_parser_on_real_gluster_xml(fixtures: Path) -> None:
    [info] = parse_volume_info((fixtures / "gluster" / "volume-info.xml").read_text())
    assert info.name == "xxxdata" and info.status == "Started" and info.replica == 2
    assert [b.split(":")[0] for b in info.bricks] == ["198.18.106.10", "198.18.106.11"]
    assert info.bricks[0].endswith("/bricks/vah1/xxxdata/brick")


def test_brick_offline_is_read_from_real_status_detail(fixtures: Path) -> None:
    down = (fixtures / "gluster" / "status-detail-brick-down.txt").read_text()
    up = (fixtures / "gluster" / "status-detail.txt").read_text()
    assert _brick_offline(down, "198.18.106.10") is True
    assert _brick_offline(down, "198.18.106.11") is False
    assert _brick_offline(up, "198.18.106.10") is False
    assert _brick_offline(up, "198.18.106.99") is False  # no such brick: not "offline"


def test_mount_of_reads_the_containers_own_mountinfo_line() -> None:
    line = (
        "110 90 0:41 / /v rw,relatime - fuse.glusterfs 198.18.106.10:/xxxdata "
        "rw,user_id=0,group_id=0,default_permissions,allow_other,max_read=131072"
    )
    assert mount_of(f"token\n{line}\n") == ("fuse.glusterfs", "198.18.106.10:/xxxdata")
    assert mount_of("84 71 8:1 /var/lib/x /vv rw - ext4 /dev/sda1 rw") == ("", "")


def test_mount_of_reads_the_line_as_proc5_does() -> None:
    """Through observe/mounts.parse_mountinfo: optional fields, a source with an escaped space (\\040),
    and a line with " - " in the command's other output that is no mountinfo line."""
    line = r"110 90 0:41 / /v rw shared:7 master:1 - fuse.glusterfs 198.18.106.10:/my\040vol rw"
    assert mount_of(f"a - b\n{line}") == ("fuse.glusterfs", "198.18.106.10:/my vol")


def test_brick_dir_with_foreign_data_is_refused(tmp_path: Path) -> None:
    (tmp_path / "theirs.db").write_text("not ours")
    with pytest.raises(Exception, match="with data that is not a dockerctl pool's") as caught:
        check_brick_dir("lab", str(tmp_path), "pool.yaml:9")
    assert "theirs.db" in str(caught.value) and str(caught.value).startswith("pool.yaml:9")
    assert (tmp_path / "theirs.db").read_text() == "not ours"  # left alone
    check_brick_dir("lab", str(tmp_path / "new"), "x")  # a new directory is fine
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / ".dockerctl-pool").write_text("lab\n")
    (tmp_path / "ours" / "vah1").mkdir()
    check_brick_dir("lab", str(tmp_path / "ours"), "x")  # the lab's own, from an earlier run
    with pytest.raises(Exception, match="lab other's pool"):
        (tmp_path / "ours" / ".dockerctl-pool").write_text("other\n")
        check_brick_dir("lab", str(tmp_path / "ours"), "x")


POOL = """version: 1
name: pool
hosts: {h1: {kind: simulated}, h2: {kind: simulated}, here: {kind: local}}
switch: {subnet: 198.18.106.0/24}
storage: {hosts: [h1, h2]}
volumes:
  data: {driver: dockerctl-gluster, options: {size: "2"}}
containers:
  a: {host: h1, volumes: ["data:/d"]}
  b: {host: h2, volumes: ["data:/d"]}
"""


def test_a_pool_volume_is_used_from_every_pool_host(tmp_path: Path) -> None:
    path = tmp_path / "pool.yaml"
    path.write_text(POOL)
    pb = load_playbook(path)
    assert pb.on_pool(pb.volumes["data"]) and pb.host_of(pb.volumes["data"]) == "h1"


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("storage: {hosts: [h1, h2]}", "storage: {hosts: [h1]}", 5, "two or more hosts"),
        ("storage: {hosts: [h1, h2]}", "storage: {hosts: [h1, here]}", 5, "not a simulated host"),
        ("storage: {hosts: [h1, h2]}", "storage: {hosts: [h1, h2], brick_dir: bricks}", 5, "absolute path"),
        ('options: {size: "2"}', 'options: {size: "two"}', 7, "is not a number of GB"),
        ('options: {size: "2"}', 'options: {sise: "2"}', 7, "unknown option(s) sise"),
        ("storage: {hosts: [h1, h2]}\n", "", 6, "add storage:"),
        (
            'b: {host: h2, volumes: ["data:/d"]}',
            'b: {host: here, volumes: ["data:/d"]}',
            10,
            "run it on a host of the pool",
        ),
        (
            "containers:",
            "  own: {}\nexpect:\n  - {claim: V2, shared: {volume: own, from: h1, to: h2}}\ncontainers:",
            10,
            "proves a volume of the storage pool; 'own' is not one",
        ),
        (
            "containers:",
            "expect:\n  - {claim: V2, replica: {volume: data, down: h2, up: here}}\ncontainers:",
            9,
            "'here' is not a host of the storage pool (h1, h2)",
        ),
    ],
)
def test_bad_storage_input_names_the_line(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    path = tmp_path / "pool.yaml"
    assert old in POOL
    path.write_text(POOL.replace(old, new))
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    assert words in caught.value.message
    assert caught.value.where == f"{path}:{line}"
