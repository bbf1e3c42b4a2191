"""The project's base image, built locally from the static busybox: no registry is ever contacted.

`FROM scratch` pulls nothing; the build context is made here in memory (Dockerfile + /bin/busybox),
so the build works on an engine that has no images at all. Re-building is a cache hit.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path
from typing import IO

import docker
import docker.errors
from docker.models.images import Image

from dockerctl.engines.client import engine_call
from dockerctl.engines.labels import image_labels
from dockerctl.errors import InvalidInput, NotFound
from dockerctl.spec.models import BASE_IMAGE

BUSYBOX = Path("/bin/busybox")

DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/sh", "-c", "mkdir -p /tmp /var/tmp /data /etc && chmod 1777 /tmp /var/tmp"]
CMD ["sleep", "infinity"]
"""


def _is_static(binary: bytes) -> bool:
    # an ELF file with a PT_INTERP segment needs a dynamic loader that a scratch image does not have
    return binary[:4] == b"\x7fELF" and b"/lib64/ld-linux" not in binary and b"/lib/ld-" not in binary


def _context(busybox: bytes) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, mode in (("Dockerfile", DOCKERFILE.encode(), 0o644), ("busybox", busybox, 0o755)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def build_image(
    client: docker.DockerClient, tag: str, context: IO[bytes], role: str, what: str | None = None
) -> Image:
    """Build `tag` from a tar build context through the engine API. pull=False: a FROM that is not
    local fails instead of reaching a registry (only scratch and the project's own images are used)."""
    image, _logs = engine_call(
        client.images.build,
        fileobj=context,
        custom_context=True,
        tag=tag,
        labels=image_labels(role),
        pull=False,
        rm=True,
        forcerm=True,
        what=what or f"build image {tag}",
    )
    result: Image = image
    return result


def data_image_context(data_dir: Path, path: str) -> IO[bytes]:
    """Seed S8 data-packed volume container: the data baked in under a VOLUME, from the base image."""
    dockerfile = f'FROM {BASE_IMAGE}\nCOPY data/ {path}/\nVOLUME ["{path}"]\nCMD ["true"]\n'.encode()
    # handed to the caller, who reads it once; large data spills to a temporary file, not to memory
    buf = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(str(data_dir), arcname="data")
    buf.seek(0)
    return buf


def build_base_image(client: docker.DockerClient, tag: str = BASE_IMAGE, busybox: Path = BUSYBOX) -> Image:
    try:
        binary = busybox.read_bytes()
    except FileNotFoundError:
        raise NotFound(
            f"{busybox} does not exist", hint="install Debian's busybox-static (scripts/setup does)"
        ) from None
    if not _is_static(binary):
        raise InvalidInput(
            f"{busybox} is not a static busybox; a scratch image cannot run it",
            hint="install Debian's busybox-static",
        )
    return build_image(client, tag, _context(binary), "base")
