from __future__ import annotations

from tests.integration.conftest import base_image, disk, eng, engine, lab  # noqa: F401  (shared real-engine fixtures)
