"""The registry of expectation handlers: kind → handler, and the Context every handler gets. Kept apart
from the handlers so that handlers in other modules (pool.py) register without an import cycle."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from docker.models.containers import Container

from dockerctl.engines.engine import Engine
from dockerctl.prove.twins import Twins, twins_of
from dockerctl.spec.playbook import KINDS, Playbook
from dockerctl.verify.verdict import Check


@dataclass
class Context:
    """What every handler may use: the lab's engines (one per host), its playbook, its containers, and
    throwaway twins on any host (made on first use, removed when the evaluation ends)."""

    engines: dict[str, Engine]
    playbook: Playbook
    containers: dict[str, Container]
    stack: ExitStack

    _twins: dict[str, Twins] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Container:
        return self.containers[name]

    @property
    def engine(self) -> Engine:
        """The default host's engine (a single-host lab's only one)."""
        return self.engines[self.playbook.default_host]

    def engine_of(self, container: str) -> Engine:
        return self.engines[self.playbook.host_of(self.playbook.containers[container])]

    def twins_on(self, host: str | None = None) -> Twins:
        host = host or self.playbook.default_host
        if host not in self._twins:
            self._twins[host] = self.stack.enter_context(twins_of(self.engines[host]))
        return self._twins[host]

    @property
    def twins(self) -> Twins:
        return self.twins_on()


Handler = Callable[[Any, Context], list[Check]]
REGISTRY: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not an expectation kind of the playbook format")
        REGISTRY[kind] = fn
        return fn

    return register
