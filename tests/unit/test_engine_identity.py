"""Issue 36, findings 3-5 on canned hosts: the engine is the dockerd its socket names, its shims are the
ones serving its containerd, and nothing on its way up is lost."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath

from dockerctl.hosts import Completed, LocalHost
from dockerctl.hosts.base import FileStat
from dockerctl.observe.engine_process import EngineProcess, parse_peer
from dockerctl.observe.orphans import Layout, Shim, daemon_settings, settled, shims

ID_A, ID_B, ID_C = "a" * 64, "b" * 64, "c" * 64
FAKE = ("dockerd", "--data-root", "/var/lib/docker", "--containerd-namespace", "fake")
REAL = ("/usr/sbin/dockerd", "--containerd", "/run/containerd/containerd.sock")


class Canned(LocalHost):
    def __init__(self, procs: dict[int, tuple[str, ...]], started: dict[int, float] | None = None) -> None:
        super().__init__("canned")
        self.procs, self.started = procs, started or {}

    def cmdlines(self) -> dict[int, tuple[str, ...]]:
        return self.procs

    def read_text(self, path: str) -> str | None:
        if path == "/proc/stat":
            return "cpu 1 2 3\nbtime 1000\n"
        pid = int(path.split("/")[2]) if path.startswith("/proc/") and path.endswith("/stat") else None
        if pid in self.started:
            ticks = int((self.started[pid] - 1000) * 100)
            return f"{pid} (x) S " + " ".join(["0"] * 18) + f" {ticks} 0"
        return None

    def realpath(self, path: str) -> str:
        return path.replace("/var/run/", "/run/")

    def stat(self, path: str) -> FileStat | None:
        return None

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        return Completed(tuple(argv), 1, "", "not here")


def test_a_fake_dockerd_listed_first_is_not_the_engines_settings() -> None:
    host = Canned({100: FAKE, 200: REAL})  # the user's program comes first in the process list
    settings = daemon_settings(host, "/var/lib/docker", 200)  # the pid the socket named
    assert isinstance(settings, dict)
    assert (settings["pid"], settings["namespace"], settings["containerd"]) == (
        "200", "moby", "/run/containerd/containerd.sock",
    )  # fmt: skip
    assert "is no longer a dockerd" in str(daemon_settings(host, "/var/lib/docker", 300))
    assert "keeps its data in" in str(
        daemon_settings(Canned({5: ("dockerd", "-g", "/x")}), "/var/lib/docker", 5)
    )


def test_the_socket_peer_must_be_root_in_this_pid_namespace() -> None:
    line = {"pid": 7, "uid": 0, "same_pidns": True, "argv0": "/usr/bin/dockerd", "via": "SO_PEERCRED"}
    ok = parse_peer(json.dumps(line))
    assert isinstance(ok, EngineProcess) and ok.refused() == ""
    assert "uid 65534" in EngineProcess(7, 65534, True, "dockerd", "x").refused()
    assert "another pid namespace" in EngineProcess(7, 0, False, "dockerd", "x").refused()
    assert "not dockerd" in EngineProcess(7, 0, True, "sleep", "x").refused()
    assert parse_peer('{"error": "cannot connect"}') == "cannot connect"
    assert "could not be asked" in str(parse_peer("Traceback ..."))


def test_only_shims_serving_this_engines_containerd_are_its_own() -> None:
    shim = "containerd-shim-runc-v2"
    host = Canned({
        10: (shim, "-namespace", "moby", "-id", ID_A, "-address", "/var/run/docker/containerd/containerd.sock"),
        11: (shim, "-namespace", "moby", "-id", ID_B, "-address", "/run/ci/containerd/containerd.sock"),
        12: (shim, "-namespace", "dctl-hostb", "-id", ID_C, "-address", "/run/docker/containerd/containerd.sock"),
    })  # fmt: skip
    layout = Layout("moby", "/docker/{id}", (), containerd="/run/docker/containerd/containerd.sock")
    ours, theirs = shims(host, layout)
    assert [s.container_id for s in ours] == [ID_A]
    assert theirs == {ID_B, ID_C}


def test_what_started_after_the_engine_and_within_the_grace_is_not_settled() -> None:
    engine_started, now = 5000.0, 9000.0
    host = Canned({}, started={1: 4000.0, 2: 8990.0, 3: 8000.0})
    found = [Shim(p, "moby", c * 64, "") for p, c in ((1, "a"), (2, "b"), (3, "c"), (4, "d"))]
    layout = Layout("moby", "/docker/{id}", (), started=engine_started)
    kept, groups = settled(
        host, layout, found, {"e" * 64: PurePosixPath("/sys/fs/cgroup/memory/docker/e")}, now
    )
    # before the engine: kept; 10 s old: on its way up; 1000 s old: kept; start unknown (gone): not acted on
    assert [s.pid for s in kept] == [1, 3]
    assert groups == {}  # a cgroup whose age cannot be read is not acted on either
