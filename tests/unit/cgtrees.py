"""Build cgroup file trees laid out exactly as on a host, for the readers to run on unchanged."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockerctl.hosts import TreeHost
from dockerctl.observe.cgroup import CgroupReader

FIXTURES = Path(__file__).parent.parent / "fixtures"
PID = 4242


@dataclass
class Tree:
    reader: CgroupReader
    pid: int
    cgroup_dir: Path  # where the captured cgroup's files are (in the tree)
    container_id: str = ""

    @property
    def host_dir(self) -> PurePosixPath:
        """The cgroup directory as the host names it (what the reader reports)."""
        host = self.reader.host
        assert isinstance(host, TreeHost)
        return PurePosixPath("/") / self.cgroup_dir.relative_to(host.fs_root)


def _proc(tmp: Path, cgroup_text: str, mountinfo_text: str, self_cgroup: str | None = None) -> Path:
    proc = tmp / "proc"
    (proc / str(PID)).mkdir(parents=True)
    (proc / str(PID) / "cgroup").write_text(cgroup_text)
    (proc / "self").mkdir()
    (proc / "self" / "mountinfo").write_text(mountinfo_text)
    (proc / "self" / "cgroup").write_text(self_cgroup if self_cgroup is not None else cgroup_text)
    return proc


def v2_tree(tmp: Path) -> Tree:
    """The real cgroup v2 capture, placed where its /proc/self/cgroup line says it lives."""
    capture = FIXTURES / "cgroup-v2-real"
    cg_line, mount_line = (capture / "proc-self-cgroup-and-mountinfo.txt").read_text().splitlines()[:2]
    fs = tmp / "fs"
    cgroot = fs / "sys" / "fs" / "cgroup"
    target = cgroot / cg_line.split("::", 1)[1].lstrip("/")
    shutil.copytree(capture / "tree", target)
    # the root of a v2 mount lists the same controllers its child was given
    (cgroot / "cgroup.controllers").write_text((capture / "tree" / "cgroup.controllers").read_text())
    proc = _proc(tmp, cg_line + "\n", mount_line + "\n")
    # the capture's cgroup is named by a 32-hex id, as a container's is by its id
    return Tree(CgroupReader(TreeHost(fs, proc)), PID, target, target.name)


def v1_tree(tmp: Path, files: dict[str, str], other: dict[str, str] | None = None) -> Tree:
    """This host's v1 (hybrid) layout: real mountinfo and /proc/<pid>/cgroup, with chosen memory files
    and, in `other`, files of other controllers keyed "controller/file" (e.g. "cpu/cpu.shares")."""
    host = FIXTURES / "host-v1"
    cgroup_text = (host / "proc-pid-cgroup.txt").read_text()
    cid = (host / "container-id.txt").read_text().strip()
    fs = tmp / "fs"
    memdir = fs / "sys/fs/cgroup/memory/docker" / cid
    memdir.mkdir(parents=True)
    for name, value in files.items():
        (memdir / name).write_text(value)
    for key, value in (other or {}).items():
        controller, name = key.split("/", 1)
        directory = fs / "sys/fs/cgroup" / controller / "docker" / cid
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(value)
    (fs / "sys/fs/cgroup/unified").mkdir(parents=True)
    (fs / "sys/fs/cgroup/unified/cgroup.controllers").write_text("hugetlb\n")
    proc = _proc(
        tmp, cgroup_text, (host / "mountinfo-cgroup.txt").read_text(), "4:memory:/process_api/x\n0::/\n"
    )
    return Tree(CgroupReader(TreeHost(fs, proc)), PID, memdir, cid)
