"""The network models' playbook sections, in the order the playbook checks them: each model's spec module
declares its own (`SECTION`); a new model adds its line here."""

from __future__ import annotations

from dockerctl.spec import calico, flannel, weave

MODEL_SECTIONS = (flannel.SECTION, calico.SECTION, weave.SECTION)
