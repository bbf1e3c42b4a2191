"""dockerctl as an image, built here: `FROM scratch` plus this machine's Python runtime and a wheel.

No registry is contacted and nothing is run inside the build: the root file system is laid out on this
machine and sent as the build context, then `COPY rootfs/ /`. It holds
- the Python that runs dockerctl here (its executable, its standard library without the tests, IDLE and
  tkinter, and the shared libraries `ldd` names for the executable and every extension module);
- dockerctl installed from a wheel made from the checkout (`pip wheel --no-deps`), and each distribution
  dockerctl depends on, copied from this environment as its RECORD lists it (the versions that run here);
- byte code compiled here (unchecked-hash .pyc: the image's file system may be mounted read-only);
- the static busybox (`sh`, `nsenter`, `cat` for the few commands the readers run).
The entry point is `dockerctl`. Tagged `dockerctl:<version>`.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib
import importlib.metadata as md
import io
import os
import py_compile
import re
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import docker
import docker.errors
from docker.models.images import Image

from dockerctl import __version__
from dockerctl.apply.images import BUSYBOX, _is_static, build_image
from dockerctl.errors import DockerctlError, InvalidInput, NotFound
from dockerctl.hosts.local import run_local

REPOSITORY = "dockerctl"
PREFIX = "/usr/local"
SELF_ROLE = "self"
EPOCH = 1_700_000_000  # every file's mtime in the image (byte code is hash-checked, never by mtime)

# parts of the standard library a command-line tool does not import
STDLIB_SKIP = {
    "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "site-packages",
    "dist-packages", "__pycache__", "venv", "turtle.py", "__phello__", "sqlite3",
}  # fmt: skip
DYNLOAD_SKIP = re.compile(r"^(_tkinter|_test|xx|_ctypes_test|_xxtest|_sqlite3|_curses|readline|nis)")

DOCKERFILE = """\
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/bin LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/root
LABEL org.opencontainers.image.title=dockerctl org.opencontainers.image.version={version}
ENTRYPOINT ["/usr/local/bin/dockerctl"]
CMD ["--help"]
"""

LAUNCHER = """\
#!/usr/local/bin/python3
import sys

from dockerctl.entry import main

sys.exit(main())
"""


def self_tag(version: str = __version__) -> str:
    return f"{REPOSITORY}:{version}"


def checkout() -> Path:
    """The source tree dockerctl runs from (a clone with pyproject.toml), else NotFound."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or 'name = "dockerctl"' not in pyproject.read_text():
        raise NotFound(
            f"no dockerctl checkout at {root}",
            hint="build-self makes its wheel from a clone: run it from a checkout's environment",
        )
    return root


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the checkout (the build leaves nothing in the clone)."""
    tree = out / "src"
    shutil.copytree(
        source,
        tree,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "tests", "docs", "examples", "playbooks", "scripts", "build", "*.egg-info",
            "__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.new",
        ),
    )  # fmt: skip
    wheels = out / "wheels"
    # pip's isolated build takes setuptools as pyproject.toml names it (pip's cache, else the index that
    # scripts/setup installs from); --no-deps: the dependencies are copied from this environment
    done = run_local(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(tree)], timeout=600
    )
    found = sorted(wheels.glob("dockerctl-*.whl"))
    if done.returncode != 0 or not found:
        raise DockerctlError(f"pip wheel failed: {(done.stderr or done.stdout).strip()[-800:]}")
    return found[0]


def _requirement(text: str) -> Any:
    """packaging's Requirement (pip's vendored copy when packaging is not installed)."""
    for module in ("packaging.requirements", "pip._vendor.packaging.requirements"):
        try:
            return importlib.import_module(module).Requirement(text)
        except ImportError:
            continue
    raise NotFound("neither packaging nor pip is importable: cannot read dockerctl's requirements")


def dependencies(root: str = "dockerctl") -> list[md.Distribution]:
    """Every distribution `root` needs at run time (extras followed, markers evaluated), installed here."""
    seen: dict[str, md.Distribution] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            raise NotFound(f"{name} (needed by dockerctl) is not installed in {sys.prefix}") from None
        key = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if key in seen and not extras:
            continue
        seen[key] = dist
        for text in dist.requires or []:
            req = _requirement(text)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                todo.append((req.name, frozenset(req.extras)))
    return [d for k, d in seen.items() if k != root]


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest, follow_symlinks=True)


def _stdlib(base: Path, version: str, lib: Path) -> None:
    src = base / "lib" / version
    for entry in sorted(src.iterdir()):
        if entry.name in STDLIB_SKIP or entry.name.startswith("config-"):
            continue
        if entry.is_dir():
            if entry.name == "lib-dynload":
                for so in entry.iterdir():
                    if not DYNLOAD_SKIP.match(so.name):
                        _copy(so, lib / "lib-dynload" / so.name)
                continue
            shutil.copytree(
                entry,
                lib / entry.name,
                ignore=shutil.ignore_patterns("__pycache__", "test", "tests", "*.pyc"),
            )
        else:
            _copy(entry, lib / entry.name)


def _site_packages(dists: Iterable[md.Distribution], site: Path) -> None:
    for dist in dists:
        for f in dist.files or []:
            parts = Path(str(f)).parts
            if parts[0] == ".." or "__pycache__" in parts or str(f).endswith(".pyc"):
                continue
            src = Path(str(dist.locate_file(f)))
            if src.is_file():
                _copy(src, site / f)


def _shared_libraries(files: Iterable[Path]) -> set[Path]:
    """The libraries `ldd` resolves for each ELF file (and the dynamic loader)."""
    out: set[Path] = set()
    for f in files:
        done = run_local(["ldd", str(f)], timeout=30)
        for line in done.stdout.splitlines():
            m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
            if m:
                out.add(Path(m.group(1)))
    return out


def _elf_files(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and (path.suffix == ".so" or ".so." in path.name):
            yield path


def _strip(files: list[Path]) -> None:
    """Drop debug sections (a Python built from source keeps them: 23 MB of libpython here)."""
    strip = shutil.which("strip")
    if strip and files:
        run_local([strip, "--strip-debug", *map(str, files)], timeout=120)


def _busybox(rootfs: Path) -> None:
    binary = BUSYBOX.read_bytes() if BUSYBOX.exists() else b""
    if not _is_static(binary):
        return  # optional: only `sh`-based readers need it
    _copy(BUSYBOX, rootfs / "bin/busybox")
    listed = run_local([str(BUSYBOX), "--list"], timeout=10)
    for applet in listed.stdout.split():
        link = rootfs / "bin" / applet
        if applet != "busybox" and not link.exists():
            link.symlink_to("busybox")


def lay_out_rootfs(rootfs: Path, wheel: Path) -> None:
    """The image's whole file system under `rootfs`."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix)
    executable = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    usr = rootfs / PREFIX.lstrip("/")
    lib = usr / "lib" / version
    site = lib / "site-packages"
    _copy(executable, usr / "bin" / version)
    (usr / "bin/python3").symlink_to(version)
    _stdlib(base, version, lib)
    _site_packages(dependencies(), site)
    done = run_local([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile", "-q",
         "--target", str(site), str(wheel)], timeout=600)  # fmt: skip
    if done.returncode != 0:
        raise DockerctlError(f"pip install of {wheel.name} failed: {done.stderr.strip()[-800:]}")
    shutil.rmtree(site / "bin", ignore_errors=True)  # pip's launcher points at this machine's python
    launcher = usr / "bin/dockerctl"
    launcher.write_text(LAUNCHER)
    launcher.chmod(0o755)
    copied = []
    for so in _shared_libraries([executable, *_elf_files(usr)]):
        if not so.is_relative_to(rootfs):
            _copy(so, rootfs / str(so).lstrip("/"))
            copied.append(rootfs / str(so).lstrip("/"))
    _strip([usr / "bin" / version, *(lib / "lib-dynload").iterdir(), *copied])
    for name, mode in (("tmp", 0o1777), ("root", 0o700), ("etc", 0o755), ("var/tmp", 0o1777)):
        (rootfs / name).mkdir(parents=True, exist_ok=True)
        (rootfs / name).chmod(mode)
    (rootfs / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
    )
    (rootfs / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
    _busybox(rootfs)
    # byte code now, so that the container never writes any (its root may be read-only)
    compileall.compile_dir(
        str(lib), quiet=2, workers=0, ddir=f"{PREFIX}/lib/{version}",
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )  # fmt: skip


def _context(rootfs: Path) -> IO[bytes]:
    buf = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 — handed to the build
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dockerfile = DOCKERFILE.format(version=__version__).encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))

        def owned_by_root(t: tarfile.TarInfo) -> tarfile.TarInfo:
            t.uid = t.gid = 0
            t.uname = t.gname = "root"
            t.mtime = EPOCH  # the same files make the same layer: a rebuild is a cache hit
            return t

        tar.add(str(rootfs), arcname="rootfs", filter=owned_by_root)
    buf.seek(0)
    return buf


def build_self_image(
    client: docker.DockerClient, tag: str | None = None, source: Path | None = None
) -> Image:
    """Build dockerctl's own image (`dockerctl:<version>` unless `tag`) from the checkout; no registry."""
    tag = tag or self_tag()
    if ":" not in tag.rsplit("/", 1)[-1]:
        raise InvalidInput(f"{tag!r} has no version: use NAME:VERSION", where="--tag")
    try:
        before: str | None = client.images.get(tag).id
    except docker.errors.ImageNotFound:
        before = None
    with tempfile.TemporaryDirectory(prefix="dockerctl-self-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(source or checkout(), work)
        rootfs = work / "rootfs"
        rootfs.mkdir()
        lay_out_rootfs(rootfs, wheel)
        image = build_image(client, tag, _context(rootfs), SELF_ROLE, what=f"build image {tag}")
    if before and before != image.id:
        # the image this tag named before, now untagged: build-self's own, removed unless a container uses it
        with contextlib.suppress(docker.errors.APIError):
            client.images.remove(before, noprune=False)
    return image
