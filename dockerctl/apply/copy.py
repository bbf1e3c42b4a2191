"""`cp` between the host and a container (seed S6), streamed both ways: memory stays bounded whatever
the size. Host → container: a thread writes a tar stream into a small bounded queue that the upload
reads from. Container → host: the archive is read and extracted member by member (tarfile "r|"), with
the "data" filter (no absolute paths, no escaping the destination, no device files).
"""

from __future__ import annotations

import base64
import json
import queue
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker
import docker.errors
from docker.models.containers import Container

from dockerctl.engines.client import engine_call
from dockerctl.errors import Conflict, InvalidInput, NotFound

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
        target_dir, arcname = dest, source.name
    else:
        parent = str(PurePosixPath(dest).parent)
        parent_st = container_stat(client, container, parent)
        if parent_st is None or not parent_st.is_dir:
            raise NotFound(f"{parent} does not exist in {container.name}", where="DST")
        target_dir, arcname = parent, PurePosixPath(dest).name
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
    with tarfile.open(fileobj=_StreamReader(iter(chunks), progress), mode="r|") as tar:  # type: ignore[call-overload]
        for member in tar:
            parts = PurePosixPath(member.name).parts
            member.name = str(PurePosixPath(new_root, *parts[1:]))
            tar.extract(member, path=str(parent), filter="data")
    return parent / new_root


def split_ref(text: str) -> tuple[str | None, str]:
    """'web:/etc/hosts' → ('web', '/etc/hosts'); a host path → (None, path). As docker cp: a leading
    '/' or '.' means a host path even if it contains a colon."""
    if text.startswith(("/", ".")) or ":" not in text:
        return None, text
    name, _, path = text.partition(":")
    return name, path
