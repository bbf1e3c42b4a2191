"""Limits as people write them — CLI flags, lab dicts, assertion keywords — into Limits fields.

Sizes may be strings in docker's units ("100M") or ints (bytes); device rates may be "DEV:RATE"
strings, {DEV: RATE} dicts or {"path", "rate"} dicts. Errors carry the field, so the caller can
name the flag, key or keyword.
"""

from __future__ import annotations

import os
from typing import Any

from dockerctl.errors import InvalidInput
from dockerctl.spec.fields import FIELDS, LIMIT_FIELDS, THROTTLE_KINDS
from dockerctl.spec.units import parse_rate, parse_size, parse_swap

__all__ = ["LIMIT_FIELDS", "device_path", "device_rates", "key_values", "limit_fields"]

INT64_MAX = 2**63 - 1  # the engine's sizes and rates are Go int64s


def _whole(kind: str, value: Any, *, least: int, what: str) -> int:
    """An integer as given in YAML (not a bool), within [least, int64]."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} is a number, got {value!r}", field=kind)
    if not least <= value <= INT64_MAX:
        raise InvalidInput(
            f"{what} {value} is out of range: give {least} to {INT64_MAX} (the engine's int64)", field=kind
        )
    return int(value)


def _rate(kind: str, value: Any) -> int:
    if FIELDS[kind].value == "iops":
        if isinstance(value, int) and not isinstance(value, bool):
            return _whole(kind, value, least=1, what="IO rate")
        text = str(value)
        if not text.isdigit() or len(text) > 19 or int(text) <= 0:
            raise InvalidInput(f"IO rate must be a positive whole number, got {text[:40]!r}", field=kind)
        return _whole(kind, int(text), least=1, what="IO rate")
    if isinstance(value, int):
        return _whole(kind, value, least=1, what="rate")
    return parse_rate(str(value), field=kind)


def device_path(path: Any, *, field: str) -> str:
    """A host block device's path: absolute, under /dev once normalised (`/dev/../etc/passwd` is not)."""
    text = str(path)
    normal = os.path.normpath(text) if text.startswith("/") else ""
    if "\x00" in text or not normal.startswith("/dev/") or normal == "/dev/":
        raise InvalidInput(
            f"device {text[:80]!r} is not a device under /dev: give a block device such as /dev/vda",
            field=field,
        )
    return normal


def _pairs(kind: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, str):
        value = [value]
    pairs = []
    for item in value:
        if isinstance(item, dict) and "path" in item:
            pairs.append((item["path"], item.get("rate")))
            continue
        path, sep, rate = str(item).rpartition(":")
        if not sep or not path or not rate:
            raise InvalidInput(f"expected DEVICE:RATE (e.g. /dev/vda:30MB), got {item!r}", field=kind)
        pairs.append((path, rate))
    return pairs


def device_rates(kind: str, value: Any) -> list[dict[str, Any]]:
    out = []
    for path, rate in _pairs(kind, value):
        if not str(path).startswith("/"):
            raise InvalidInput(f"device {path!r} must be an absolute path such as /dev/vda", field=kind)
        out.append({"path": device_path(path, field=kind), "rate": _rate(kind, rate)})
    return out


def limit_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The limits among `values` that are set (None / empty = not given) → Limits keyword arguments."""
    out: dict[str, Any] = {}
    for name in LIMIT_FIELDS:
        value = values.get(name)
        if value is None or (name in THROTTLE_KINDS and not value):
            continue
        written = FIELDS[name].value
        if written == "size":
            out[name] = (
                _whole(name, value, least=0, what="size")
                if isinstance(value, int)
                else parse_size(str(value), field=name)
            )
        elif written == "swap":
            out[name] = (
                _whole(name, value, least=-1, what="size")
                if isinstance(value, int)
                else parse_swap(str(value), field=name)
            )
        elif written == "plain":
            out[name] = value
        else:
            out[name] = device_rates(name, value)
    return out


def key_values(items: list[str] | None, *, where: str) -> dict[str, str]:
    """Repeated KEY=VALUE options (driver options) → a dict."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"expected KEY=VALUE, got {item!r}", where=where)
        out[key] = value
    return out
