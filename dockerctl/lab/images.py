"""The project's base image, built locally from the static busybox: no registry is ever contacted.

`FROM scratch` pulls nothing; the build context is made here in memory (Dockerfile + /bin/busybox),
so the build works on an engine that has no images at all. Re-building is a cache hit.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import docker
from docker.models.images import Image

from dockerctl.apply.client import engine_call
from dockerctl.apply.labels import image_labels
from dockerctl.errors import InvalidInput, NotFound

BASE_IMAGE = "dockerctl/base:latest"
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
    image, _logs = engine_call(
        client.images.build,
        fileobj=_context(binary),
        custom_context=True,
        tag=tag,
        labels=image_labels("base"),
        pull=False,
        rm=True,
        forcerm=True,
        what=f"build image {tag}",
    )
    result: Image = image
    return result
