"""The one unit parser, with the docker CLI's exact semantics.

`docker run -m`, `--memory-swap`, `--device-*-bps` and friends parse sizes with go-units'
`RAMInBytes`: binary multipliers (k = 1024, m = 1024², g, t, p), case-insensitive, an optional `b`
or `ib` after the letter (`30MB`, `30MiB` and `30m` are all 31457280), an optional single space
before the suffix, a decimal number truncated toward zero *after* multiplying (`1.5k` is 1536,
`0.3` is 0). Negative sizes are refused. `--memory-swap` additionally takes `-1` for "unlimited".
"""

from __future__ import annotations

import math
import re

from dockerctl.errors import InvalidInput

KIB = 1024
_MULTIPLIERS = {"k": KIB, "m": KIB**2, "g": KIB**3, "t": KIB**4, "p": KIB**5}
# What Go's strconv.ParseFloat accepts for a plain decimal number (hex floats, inf and nan are not
# reachable: the split below cuts at the last digit, dot or space).
_GO_DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_INT64_MAX = 2**63 - 1
UNLIMITED = -1

_RIGHT = "a number with an optional unit b, k, m, g, t or p (e.g. 100M, 2g, 30MB, 512k)"


def _split(text: str) -> tuple[str, str]:
    sep = max(text.rfind(c) for c in "0123456789. ")
    if sep == -1:
        raise ValueError(f"invalid size: {text!r}")
    if text[sep] == " ":
        return text[:sep], text[sep + 1 :]
    return text[: sep + 1], text[sep + 1 :]


def _ram_in_bytes(text: str) -> int:
    number, suffix = _split(text)
    if not _GO_DECIMAL.match(number):
        raise ValueError(f"invalid size: {text!r}")
    size = float(number)
    if not math.isfinite(size):  # Go's ParseFloat refuses a number past float64 (1e400)
        raise ValueError(f"value out of range: {text!r}")
    if size < 0:
        raise ValueError(f"negative size: {text!r}")
    if suffix:
        if len(suffix) > 3:
            raise ValueError(f"invalid suffix: {suffix!r}")
        low = suffix.lower()
        if low[0] == "b":
            if len(low) > 1:
                raise ValueError(f"invalid suffix: {suffix!r}")
        else:
            mul = _MULTIPLIERS.get(low[0])
            if mul is None or (len(low) == 2 and low[1] != "b") or (len(low) == 3 and low[1:] != "ib"):
                raise ValueError(f"invalid suffix: {suffix!r}")
            size *= mul
    if not math.isfinite(size) or size > _INT64_MAX:
        raise ValueError(f"size too large: {text!r}")
    return int(size)  # truncation toward zero, as Go's int64(float64)


def parse_size(text: str, *, field: str | None = None, where: str | None = None) -> int:
    """A size in bytes, as `docker run -m TEXT` reads it."""
    try:
        return _ram_in_bytes(text)
    except ValueError as exc:
        raise InvalidInput(f"{exc}; expected {_RIGHT}", field=field, where=where) from None


def parse_swap(text: str, *, field: str | None = None, where: str | None = None) -> int:
    """`--memory-swap`: a size, or -1 for unlimited swap (docker's MemSwapBytes)."""
    if text == "-1":
        return UNLIMITED
    try:
        return _ram_in_bytes(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{exc}; expected {_RIGHT}, or -1 for unlimited", field=field, where=where
        ) from None


def parse_rate(text: str, *, field: str | None = None, where: str | None = None) -> int:
    """A bytes-per-second rate (`--device-write-bps /dev/vda:30MB`): a size that must be positive."""
    value = parse_size(text, field=field, where=where)
    if value <= 0:
        raise InvalidInput(f"rate must be greater than 0, got {text!r}", field=field, where=where)
    return value


def format_bytes(value: int | None) -> str:
    """Human form for reports: exact when it divides evenly (104857600 → '100MiB')."""
    if value is None or value == UNLIMITED:
        return "unlimited"
    for unit, mul in (("PiB", KIB**5), ("TiB", KIB**4), ("GiB", KIB**3), ("MiB", KIB**2), ("KiB", KIB)):
        if value >= mul and value % mul == 0:
            return f"{value // mul}{unit}"
    return f"{value}B"
