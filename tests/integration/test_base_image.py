from __future__ import annotations

import docker

from dockerctl.apply.images import build_base_image
from dockerctl.engines.labels import IMAGE, MANAGED, is_owned


def test_base_image_is_local_idempotent_and_usable(engine: docker.DockerClient, base_image: str) -> None:
    again = build_base_image(engine)
    assert again.id == engine.images.get(base_image).id  # a rebuild is a cache hit, same image
    assert again.labels.get(IMAGE) == "base"
    # containers inherit image labels: the image must not mark its containers as dockerctl's
    assert MANAGED not in again.labels
    assert again.attrs["Size"] < 5 * 1024 * 1024
    out = engine.containers.run(
        base_image,
        ["sh", "-c", "test -d /tmp && test -d /data && echo ok"],
        remove=True,
        labels={MANAGED: "true"},
    )
    assert out.strip() == b"ok"
    plain = engine.containers.create(base_image)
    try:
        assert not is_owned(plain.labels)
    finally:
        plain.remove(force=True)
