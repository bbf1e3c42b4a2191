"""How a report becomes what `--json` prints: named attributes in a given order, each value made plain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar


def as_json(obj: object, keys: str) -> dict[str, Any]:
    """The attributes `keys` names (space-separated), in that order; `key=attribute` where the JSON names
    it otherwise (`"proof=kind ok checks"`).
    A value with `to_dict` gives its dict, a list or tuple gives a list of its items made so; anything
    else (str, numbers, None, dicts of plain data) is given as it is."""
    out: dict[str, Any] = {}
    for spec in keys.split():
        key, _, attribute = spec.partition("=")
        out[key] = plain(getattr(obj, attribute or key))
    return out


def plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class Jsonable:
    """A report whose `--json` is the attributes its `JSON` names (as `as_json` reads them)."""

    JSON: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return as_json(self, self.JSON)


T = TypeVar("T")


@dataclass
class RowsReport(Jsonable, Generic[T]):
    """A report that is a list of rows (hosts, plugins, compared volumes): a subclass says what `ok` means
    and names the list in its `JSON`."""

    rows: list[T] = field(default_factory=list)
