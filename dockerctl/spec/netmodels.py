"""The one registry of network models: each model's name (its playbook section and its folder `netmodels/<name>/`) and
the network + IPAM driver dockerctl serves for it, in the order the models come up, go down and are
checked in. A new model is a folder `netmodels/<name>/` and one line in `BUILT_IN`; a test plugs one of
its own in with `register`.

Light on purpose: it names the models and imports none of them. Each part of a model is loaded when it
is first asked for (`part`), so a command that uses no model (`limits`, `down` of a lab without one)
loads none, and the layers below may read the driver names and sections from here.
A model's folder holds, by layer (import-linter keeps that order inside it):
model.py (its `NetworkModel`: lifecycle, `net cnm`, `doctor`) → driver.py (the plugin serving its driver)
→ proofs.py (its expectations' experiments) → fabric.py (what it makes on the hosts) → verdicts.py (their
judgement, how `doctor` finds it) → schema.py (its playbook section and expectation kinds, pydantic) →
section.py (`SECTION`: what its section asks of the rest of the playbook, its bench labs).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the section row type (spec/sections.py); imported only when a section is asked for
    from dockerctl.spec.sections import ModelSection


MODELS_PACKAGE = "dockerctl.netmodels"  # a built-in model's folder: netmodels/<name>/


@dataclass
class Entry:
    """One model: its name, its driver ("" when it serves none), and where its parts are: the package
    `dockerctl.netmodels.<name>` for a built-in one, or the objects a test gives."""

    name: str
    driver: str = ""
    given: bool = False  # a test's: its parts are those it gave, nothing is imported for it
    parts: dict[str, Any] = field(default_factory=dict)  # part → module or object given, else loaded

    @property
    def home(self) -> str:
        return f"{MODELS_PACKAGE}.{self.name}"


BUILT_IN = (
    Entry("flannel", "dockerctl-flannel"),
    Entry("calico", "dockerctl-calico"),
    Entry("weave", "dockerctl-weave"),
)

ENTRIES: dict[str, Entry] = {e.name: e for e in BUILT_IN}

# the drivers of the built-in models: the network formats' driver lists take them from here
DRIVERS: tuple[str, ...] = tuple(e.driver for e in BUILT_IN if e.driver)


def driver_of(name: str) -> str:
    return ENTRIES[name].driver


def names() -> list[str]:
    return list(ENTRIES)


def part(name: str, what: str) -> Any:
    """A part of a model (`model`, `section`, `schema`, `driver`, `proofs`, `verdicts`, `fabric`): the
    one a test registered, else its module, imported on first use. None: the model has no such part."""
    entry = ENTRIES[name]
    if what not in entry.parts and not entry.given:
        try:
            entry.parts[what] = importlib.import_module(f"{entry.home}.{what}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{entry.home}.{what}":
                raise
            entry.parts[what] = None
    return entry.parts.get(what)


def get(name: str, what: str, attr: str) -> Any:
    """A name a part of a model defines (`get("calico", "section", "SECTION")`), or the object a test
    gave for that part; None: no such part."""
    got = part(name, what)
    return getattr(got, attr) if isinstance(got, ModuleType) else got


def sections() -> list[ModelSection]:
    """Each model's `SECTION` row that has one, in registry order."""
    found = (get(n, "section", "SECTION") for n in ENTRIES)
    return [s for s in found if s is not None]


def section_of_driver(driver: str) -> ModelSection | None:
    """The section of the model whose networks use `driver` (None: not a model's)."""
    return next((s for s in sections() if s.driver == driver), None)


def schemas() -> dict[str, Any]:
    """name → its section's pydantic class, for every model with one."""
    return {n: s for n in ENTRIES if (s := get(n, "schema", "SCHEMA")) is not None}


def plugins() -> dict[str, str]:
    """driver → the module whose `serve_lab` answers for it (plugins/daemon's table)."""
    return {e.driver: f"{e.home}.driver" for e in ENTRIES.values() if e.driver and not e.given}


def register(name: str, driver: str = "", **parts: Any) -> None:
    """One more model after those registered, given as its parts (`model=`, `schema=` …)."""
    ENTRIES[name] = Entry(name, driver, given=True, parts=dict(parts))


def unregister(name: str) -> None:
    if name not in {e.name for e in BUILT_IN}:
        ENTRIES.pop(name, None)
