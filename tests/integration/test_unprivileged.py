"""dockerctl run as an unprivileged user (uid 65534, with and without the engine socket's group): what it
cannot read is said ("unknown: needs root", "permission denied on the socket"), never reported as fine.

The tests run as root and drop privileges for the real command with setpriv. The interpreter must be one
uid 65534 may execute (a venv under /root is not): this one if it can, else the system's python of the same
version with this venv's site-packages on PYTHONPATH. The package is imported from the worktree when uid
65534 can read it, else from a copy in a mkdtemp directory it can read. Each test compares what the command
says with what root reads from the kernel itself."""

from __future__ import annotations

import grp
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from dockerctl.engines.labels import LAB, MANAGED

NOBODY = 65534
ROOT = Path(__file__).resolve().parents[2]
NEEDS_ROOT = "unknown: needs root"


def _socket() -> Path:
    url = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if not url.startswith("unix://"):
        pytest.skip(f"the engine is not reached through a local socket ({url})")
    return Path(url[len("unix://") :])


def _setpriv(groups: int | None) -> list[str]:
    drop = [f"--groups={groups}"] if groups is not None else ["--clear-groups"]
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", *drop]


def _runs_as_nobody(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> bool:
    done = subprocess.run(
        [*_setpriv(None), *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode == 0


@dataclass(frozen=True)
class Nobody:
    """How to run `python -m dockerctl` as uid 65534: interpreter, environment, working directory."""

    python: str
    env: dict[str, str]
    cwd: Path

    def run(self, groups: int | None, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_setpriv(groups), self.python, "-m", "dockerctl", *args],
            env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip


def _readable_copy(into: Path) -> Path:
    """The package copied into `into` (made by mkdtemp), readable by anyone: directories 0755, files 0644."""
    shutil.copytree(ROOT / "dockerctl", into / "dockerctl", ignore=shutil.ignore_patterns("__pycache__"))
    into.chmod(0o755)
    for path in into.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return into


@pytest.fixture(scope="module")
def nobody() -> Iterator[Nobody]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop to uid 65534")
    home = Path(tempfile.mkdtemp(prefix="dockerctl-nobody-"))
    os.chown(home, NOBODY, NOBODY)
    src = Path(tempfile.mkdtemp(prefix="dockerctl-src-"))
    try:
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(home),
            "DOCKERCTL_STATE_DIR": str(home),
            "COLUMNS": "200",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            **({"DOCKER_HOST": os.environ["DOCKER_HOST"]} if "DOCKER_HOST" in os.environ else {}),
        }
        python = sys.executable
        if not _runs_as_nobody([python, "-c", "import docker"], env):
            version = f"python{sys.version_info.major}.{sys.version_info.minor}"
            python = next(
                (p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}") if os.access(p, os.X_OK)), ""
            )
            paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
            env["PYTHONPATH"] = os.pathsep.join(paths)
            if not python or not _runs_as_nobody([python, "-c", "import docker"], env):
                pytest.skip(f"no {version} uid {NOBODY} may run with this venv's packages")
        cwd = ROOT
        if not _runs_as_nobody([python, "-c", "import dockerctl.cli"], env, cwd=ROOT):
            cwd = _readable_copy(src)
        yield Nobody(python, env, cwd)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(src, ignore_errors=True)


@pytest.fixture(scope="module")
def socket_gid() -> int:
    sock = _socket()
    st = sock.stat()
    if st.st_mode & stat.S_IRWXO == stat.S_IRWXO:
        pytest.skip(f"{sock} is open to everyone: nothing is refused")
    return st.st_gid


def _container(engine: docker.DockerClient, image: str, lab: str, name: str, **kw: Any) -> Any:
    return engine.containers.run(
        image, ["sleep", "300"], name=f"{lab}-{name}", detach=True, labels={MANAGED: "true", LAB: lab}, **kw
    )


def _pid(c: Any) -> int:
    c.reload()
    return int(c.attrs["State"]["Pid"])


def _ns(pid: int | str, kind: str) -> str:
    """A namespace id; "host": init's, or this process's where init's is not readable (a sandbox), as `ns`."""
    if pid == "host":
        try:
            return os.readlink(f"/proc/1/ns/{kind}")
        except OSError:
            pid = "self"
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def _nobody_reads(path: str) -> bool:
    return (
        subprocess.run([*_setpriv(None), "readlink", "--", path], capture_output=True, check=False).returncode
        == 0
    )


def test_socket_refused_says_permission_denied_and_who_may(nobody: Nobody, socket_gid: int) -> None:
    """Without the socket's group: exit 3 with the real cause, not "no Docker engine answers"."""
    sock = _socket()
    try:
        group = grp.getgrgid(socket_gid).gr_name
    except KeyError:
        group = f"gid {socket_gid}"
    done = nobody.run(None, "audit", "--json")
    assert done.returncode == 3, done.stderr
    assert f"permission denied on {sock}" in done.stderr, done.stderr
    assert f"member of the socket's group ({group})" in done.stderr, done.stderr
    assert "no Docker engine answers" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # one sentence, no traceback


def test_audit_in_the_socket_group_does_not_miss_host_network_and_pid(
    nobody: Nobody, socket_gid: int, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    """A --network host --pid host container: root proves both from the kernel; uid 65534 in the docker
    group gets both findings too (unknown where it cannot read the ids) and a failing exit, never silence."""
    shared = _container(engine, base_image, lab, "hostns", network_mode="host", pid_mode="host")
    private = _container(engine, base_image, lab, "private")
    try:
        sp, pp = _pid(shared), _pid(private)
        # the kernel's truth, read as root
        assert _ns(sp, "net") == _ns("host", "net") and _ns(sp, "pid") == _ns("host", "pid")
        assert _ns(pp, "net") != _ns("host", "net")
        unreadable = not _nobody_reads(f"/proc/{sp}/ns/net")
        done = nobody.run(socket_gid, "audit", "--json")
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(done.stdout)
        rows = {c["name"]: c for c in report["containers"]}
        found = {f["rule"]: f for f in rows[shared.name]["findings"]}
        assert {"host-network", "host-pid"} <= set(found), rows[shared.name]
        mine = rows[private.name]["findings"]
        assert not any(f["rule"] == "host-network" for f in mine), mine
        if unreadable:
            assert found["host-network"]["verdict"] == "unknown", found["host-network"]
            assert NEEDS_ROOT in found["host-network"]["found"]
            unknown = [f for f in mine if f["rule"] == "unreadable"]
            assert unknown and "net (NetworkMode=" in unknown[0]["found"], mine  # said, not taken as private
            assert done.returncode == 1 and report["ok"] is False  # the default --fail-on has unreadable
    finally:
        for c in (shared, private):
            c.remove(force=True)


def test_ns_in_the_socket_group_says_unknown_never_private(
    nobody: Nobody, socket_gid: int, engine: docker.DockerClient, base_image: str, lab: str
) -> None:
    """Two containers sharing one network namespace: every pair and kind is what root reads from the
    kernel, or unknown — not a '-' id with every pair private."""
    a = _container(engine, base_image, lab, "a")
    b = _container(engine, base_image, lab, "b", network_mode=f"container:{a.id}")
    try:
        pa, pb = _pid(a), _pid(b)
        truth = {
            ("host", a.name): {k: _ns("host", k) == _ns(pa, k) for k in os.listdir(f"/proc/{pa}/ns")},
            ("host", b.name): {k: _ns("host", k) == _ns(pb, k) for k in os.listdir(f"/proc/{pb}/ns")},
            (a.name, b.name): {k: _ns(pa, k) == _ns(pb, k) for k in os.listdir(f"/proc/{pa}/ns")},
        }
        assert truth[(a.name, b.name)]["net"] is True and truth[("host", a.name)]["net"] is False
        unreadable = not _nobody_reads(f"/proc/{pa}/ns/net")
        done = nobody.run(socket_gid, "ns", a.name, "--with", b.name, "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        kinds = ("mnt", "uts", "ipc", "pid", "net", "user", "cgroup")
        for pair in report["pairs"]:
            want = truth[(pair["a"], pair["b"])]
            for kind in kinds:
                if kind not in want:
                    continue
                said = pair.get(kind)
                assert said in (NEEDS_ROOT, "shared" if want[kind] else "private"), (pair, kind, want)
        if unreadable:
            assert report["unknown"][a.name] and "net" in report["unknown"][a.name]
            pair = next(p for p in report["pairs"] if (p["a"], p["b"]) == (a.name, b.name))
            assert pair["net"] == NEEDS_ROOT
            table = nobody.run(socket_gid, "ns", a.name, "--with", b.name)
            assert table.returncode == 0, table.stderr
            assert NEEDS_ROOT in table.stdout
    finally:
        for c in (b, a):
            c.remove(force=True)


def test_doctor_that_cannot_probe_says_so_not_unsupported(nobody: Nobody, socket_gid: int) -> None:
    """No network namespace can be made without root: every link type is unknown (could not probe), where
    root's probe of the same kernel finds at least veth supported."""
    made = subprocess.run(
        [*_setpriv(socket_gid), "unshare", "--net", "--", "true"], capture_output=True, check=False
    )
    root = subprocess.run(["unshare", "--net", "--", "ip", "link", "add", "p0", "type", "veth", "peer", "name", "p1"],
                          capture_output=True, check=False)  # fmt: skip
    assert root.returncode == 0, root.stderr  # the kernel makes veth pairs: "unsupported" would be wrong
    done = nobody.run(socket_gid, "doctor", "--json")
    assert done.returncode == 0, done.stderr
    links = {
        c["topic"]: c for c in json.loads(done.stdout)["capabilities"] if c["topic"].startswith("link type")
    }
    assert "link type veth" in links, links
    if made.returncode != 0:
        for topic, cap in links.items():
            assert cap["verdict"] == "unknown", (topic, cap)
            assert "could not probe (needs root)" in cap["detail"], cap
    else:
        assert links["link type veth"]["verdict"] == "supported", links
