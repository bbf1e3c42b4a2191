"""`cp` between the host and a container (seed S6), streamed both ways: memory stays bounded whatever
the size. Host → container: a thread writes a tar stream into a small bounded queue that the upload
reads from. Container → host: the archive is read and extracted member by member (tarfile "r|"), with
the "data" filter (no absolute paths, no escaping the destination, no device files), into a private
temporary directory beside the destination, and moved into place only once all of it is there: a member
the filter refuses (a container's contents are not trusted) is one sentence and leaves nothing behind.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import stat
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker
import docker.errors
from docker.models.containers import Container

from dockerctl.engines.client import engine_call
from dockerctl.errors import Conflict, DockerctlError, InvalidInput, NotFound

CHUNK = 1024 * 1024
Progress = Callable[[int], None]  # called with the number of bytes just moved


@dataclass(frozen=True)
class PathStat:
    name: str
    size: int
    is_dir: bool


def container_stat(client: docker.DockerClient, container: Container, path: str) -> PathStat | None:
    """HEAD /containers/{id}/archive: what `path` is in the container, without transferring it."""
    api = client.api
    url = f"{api.base_url}/v{api.api_version}/containers/{container.id}/archive"
    response = engine_call(api.head, url, params={"path": path}, what=f"stat {path} in {container.name}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    raw = json.loads(base64.b64decode(response.headers["X-Docker-Container-Path-Stat"]))
    return PathStat(raw["name"], int(raw["size"]), bool(int(raw["mode"]) & (1 << 31)))


class _QueueWriter:
    """A write-only file for tarfile that hands its bytes to a bounded queue (the upload's source)."""

    def __init__(self, q: queue.Queue[bytes | None], progress: Progress | None) -> None:
        self.q = q
        self.progress = progress
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.q.put(bytes(self.buffer))
            if self.progress:
                self.progress(len(self.buffer))
            self.buffer.clear()


def _tar_stream(source: Path, arcname: str, progress: Progress | None) -> Iterator[bytes]:
    q: queue.Queue[bytes | None] = queue.Queue(maxsize=8)  # at most ~8 MiB in flight
    failure: list[BaseException] = []

    def produce() -> None:
        writer = _QueueWriter(q, progress)
        try:
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                tar.add(str(source), arcname=arcname)
            writer.flush()
        except BaseException as exc:
            failure.append(exc)
        finally:
            q.put(None)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    while (chunk := q.get()) is not None:
        yield chunk
    thread.join()
    if failure:
        raise failure[0]


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _source_name(source: Path) -> str:
    """The name `source` is copied under: its own (`..` and the like by the directory they name, never
    as a `../` member the engine would have to refuse half-way)."""
    name = source.name
    if name in ("", "."):
        return ""  # `cp . C:DIR` (or `cp dir/.`): the contents, as docker cp
    return name if name != ".." else Path(os.path.abspath(source)).name


def copy_to_container(
    client: docker.DockerClient,
    container: Container,
    source: Path,
    dest: str,
    progress: Progress | None = None,
) -> str:
    """Like `docker cp SRC CONTAINER:DEST`; returns the path written in the container."""
    if not source.exists():
        raise NotFound(f"{source} does not exist", where="SRC")
    st = container_stat(client, container, dest)
    if st is not None and st.is_dir:
        target_dir, arcname = dest, _source_name(source)
    else:
        parent = str(PurePosixPath(dest).parent)
        parent_st = container_stat(client, container, parent)
        if parent_st is None or not parent_st.is_dir:
            raise NotFound(f"{parent} does not exist in {container.name}", where="DST")
        target_dir, arcname = parent, PurePosixPath(dest).name
        if arcname in ("", ".", ".."):
            raise InvalidInput(
                f"{dest} names no file in {container.name}: give a path ending in a name", where="DST"
            )
    size = tree_size(source)
    free = _free_bytes(container, target_dir)
    if free is not None and free < size:
        raise Conflict(
            f"{target_dir} in {container.name} has {free} bytes free, {size} to copy: the filesystem (or the "
            "volume mounted there) is full or too small; nothing was copied",
            where="DST",
            hint="free space there, or copy into another path or a bigger volume",
        )
    ok = engine_call(
        client.api.put_archive,
        container.id,
        target_dir,
        _tar_stream(source, arcname, progress),
        what=f"copy into {container.name}",
    )
    if not ok:
        raise InvalidInput(f"the engine refused to write into {target_dir} in {container.name}", where="DST")
    written = str(PurePosixPath(target_dir) / arcname)
    if source.is_file():
        # a streamed upload can end short without the engine saying so (measured: a full tmpfs volume)
        arrived = container_stat(client, container, written)
        if arrived is None or arrived.size != size:
            got = arrived.size if arrived is not None else 0
            container.exec_run(["rm", "-f", written])
            raise Conflict(
                f"only {got} of {size} bytes of {source.name} arrived in {written}: no space left there; the "
                "partial file was removed",
                where="DST",
                hint="free space there, or copy into another path or a bigger volume",
            )
    return written


def _free_bytes(container: Container, directory: str) -> int | None:
    """Free bytes of the filesystem under `directory` in the container (`df -Pk`), when it has df."""
    try:
        result = container.exec_run(["df", "-Pk", directory])
    except docker.errors.APIError:
        return None
    lines = result.output.decode(errors="replace").strip().splitlines() if result.exit_code == 0 else []
    try:
        return int(lines[-1].split()[3]) * 1024 if len(lines) >= 2 else None
    except (ValueError, IndexError):
        return None


class _StreamReader:
    """A read-only file over the engine's archive chunks, for tarfile's streaming mode."""

    def __init__(self, chunks: Iterator[bytes], progress: Progress | None) -> None:
        self.chunks = chunks
        self.progress = progress
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            try:
                chunk = next(self.chunks)
            except StopIteration:
                break
            if self.progress:
                self.progress(len(chunk))
            self.buffer += chunk
        if size < 0:
            data, self.buffer = self.buffer, b""
        else:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def copy_from_container(
    client: docker.DockerClient,
    container: Container,
    source: str,
    dest: Path,
    progress: Progress | None = None,
) -> Path:
    """Like `docker cp CONTAINER:SRC DEST`; returns the host path written."""
    st = container_stat(client, container, source)
    if st is None:
        raise NotFound(f"{source} does not exist in {container.name}", where="SRC")
    if dest.is_dir():
        parent, new_root = dest, st.name
    else:
        if not dest.parent.is_dir():
            raise NotFound(f"{dest.parent} does not exist", where="DST")
        parent, new_root = dest.parent, dest.name
    chunks, _ = engine_call(
        container.get_archive, source, chunk_size=CHUNK, what=f"copy from {container.name}"
    )
    try:  # private (0700) and beside the destination: the move into place is a rename on one filesystem
        staging = Path(tempfile.mkdtemp(prefix=".dockerctl-cp-", dir=parent))
    except OSError as exc:
        raise InvalidInput(f"cannot write to {parent}: {exc.strerror}", where="DST") from None
    try:
        _extract(_StreamReader(iter(chunks), progress), staging, new_root, f"{container.name}:{source}")
        _check_place(staging / new_root, parent / new_root)
        _place(staging / new_root, parent / new_root)
    except DockerctlError as exc:
        if not _discard(staging):
            exc.message += f" (the temporary directory {staging} could not be removed: remove it by hand)"
        raise
    except BaseException:
        _discard(staging)
        raise
    if not _discard(staging):
        raise Conflict(
            f"copied, but the temporary directory {staging} could not be removed: remove it by hand"
        )
    return parent / new_root


def _discard(staging: Path) -> bool:
    """The staging directory removed (with what is left in it). → whether it is gone."""
    shutil.rmtree(staging, ignore_errors=True)
    return not os.path.lexists(staging)


def _extract(reader: _StreamReader, staging: Path, new_root: str, what: str) -> None:
    """The whole archive into `staging` (renamed to `new_root`), through the "data" filter; a member it
    refuses → InvalidInput (one sentence; the caller removes `staging`: nothing was copied)."""
    with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
        for member in tar:
            parts = PurePosixPath(member.name).parts
            member.name = str(PurePosixPath(new_root, *parts[1:]))
            try:
                tar.extract(member, path=str(staging), filter="data")
            except OSError as exc:
                raise Conflict(
                    f"could not write {member.name} beside the destination ({exc.strerror}); nothing was copied",
                    where="DST",
                ) from None
            except tarfile.FilterError as exc:
                raise InvalidInput(
                    f"{what} holds {_refused(exc)}, which is not copied out of a container; nothing was copied",
                    where="SRC",
                ) from None


def _refused(exc: tarfile.FilterError) -> str:
    """What the "data" filter refused, in words: the member (named as it is in the container) and why."""
    name = exc.tarinfo.name
    if isinstance(exc, tarfile.AbsoluteLinkError):
        return f"{name}, a link to the absolute path {exc.tarinfo.linkname}"
    if isinstance(exc, tarfile.LinkOutsideDestinationError):
        return f"{name}, a link to {exc.tarinfo.linkname} outside the copy"
    if isinstance(exc, tarfile.SpecialFileError):
        return f"{name}, a device file or pipe"
    if isinstance(exc, tarfile.AbsolutePathError):
        return f"{name}, an absolute path"
    if isinstance(exc, tarfile.OutsideDestinationError):
        return f"{name}, a path outside the copy"
    return f"{name} ({exc})"


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _check_place(src: Path, dst: Path) -> None:
    """Before anything is moved: the copy fits what is at the destination — a directory merges into a
    directory (never into a symlink to one, which would lead elsewhere), a file replaces a file or a
    symlink (the link itself, never what it points to)."""
    st = _lstat(dst)
    if st is None:
        return
    if src.is_dir() and not src.is_symlink():
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a directory"
            raise InvalidInput(
                f"{dst} is {kind}: a directory is not copied over it; nothing was copied", where="DST"
            )
        for child in src.iterdir():
            _check_place(child, dst / child.name)
    elif stat.S_ISDIR(st.st_mode):
        raise InvalidInput(
            f"{dst} is a directory: a file is not copied over it; nothing was copied", where="DST"
        )


def _place(src: Path, dst: Path) -> None:
    """Move the staged copy into place: renamed whole where nothing is, merged into a directory there."""
    try:
        if _lstat(dst) is None or not src.is_dir() or src.is_symlink():
            os.replace(src, dst)
            return
    except OSError as exc:
        raise Conflict(f"could not put {dst} in place ({exc.strerror})", where="DST") from None
    for child in sorted(src.iterdir()):
        _place(child, dst / child.name)


def split_ref(text: str) -> tuple[str | None, str]:
    """'web:/etc/hosts' → ('web', '/etc/hosts'); a host path → (None, path). As docker cp: a leading
    '/' or '.' means a host path even if it contains a colon."""
    if text.startswith(("/", ".")) or ":" not in text:
        return None, text
    name, _, path = text.partition(":")
    return name, path
