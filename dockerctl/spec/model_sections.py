"""The network models' playbook sections, in the order the playbook checks them: each model's spec module
declares its own (`SECTION`); a new model adds its line here."""

from __future__ import annotations

from dockerctl.spec import calico, flannel, weave
from dockerctl.spec.sections import ModelSection

MODEL_SECTIONS = (flannel.SECTION, calico.SECTION, weave.SECTION)


def section_of_driver(driver: str) -> ModelSection | None:
    """The model whose networks use `driver` (None: not a model's)."""
    return next((m for m in MODEL_SECTIONS if m.driver == driver), None)
