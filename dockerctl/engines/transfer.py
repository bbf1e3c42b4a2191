"""Images moved between engines (docker save | docker load): how a lab's hosts get its images, since
nothing is ever pulled."""

from __future__ import annotations

import docker
import docker.errors

from dockerctl.engines.client import engine_call


def ship_image(source: docker.DockerClient, target: docker.DockerClient, image: str) -> None:
    """Copy a local image from one engine to another (docker save | docker load): nothing is pulled."""
    try:
        target.images.get(image)
        return  # already there
    except docker.errors.ImageNotFound:
        pass
    found = engine_call(source.images.get, image, what=f"find image {image}")
    # named=True would name the tarball by the image's *first* tag: an image that is a cache hit of
    # another (same id, two tags) would arrive under the other's name. Name it by the tag asked for.
    tag = image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
    named: str | bool = tag if tag in found.tags else True
    data = b"".join(engine_call(found.save, named=named, what=f"save image {image}"))
    engine_call(target.images.load, data, what=f"load image {image} into the other engine")
