"""The registry of network models: driver name → the model (see ops/netmodel.py), in the order they come
up and go down in. A new model is a module of its own with a `NetworkModel` subclass and one line here
(a test may `register` one of its own)."""

from __future__ import annotations

from dockerctl.ops import calico, flannel, weave
from dockerctl.ops.netmodel import NetworkModel

MODELS: dict[str, NetworkModel] = {m.driver or m.name: m for m in (flannel.MODEL, calico.MODEL, weave.MODEL)}


def register(model: NetworkModel) -> None:
    """One more model, after those registered (a test's own, for example); its driver name is its key."""
    MODELS[model.driver or model.name] = model


def unregister(model: NetworkModel) -> None:
    MODELS.pop(model.driver or model.name, None)
