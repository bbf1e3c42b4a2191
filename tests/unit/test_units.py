"""The unit parser against values measured with `docker create -m VALUE` + `docker inspect` on this
project's machine (Docker CLI 28, engine 20.10): HostConfig.Memory is the expected byte count."""

from __future__ import annotations

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.spec.units import UNLIMITED, format_bytes, parse_rate, parse_size, parse_swap

MEASURED = [
    ("100M", 104857600),
    ("2g", 2147483648),
    ("30MB", 31457280),
    ("1.5g", 1610612736),
    ("104857600", 104857600),
    ("100 M", 104857600),
    ("6MiB", 6291456),
    ("7m", 7340032),
    ("6.5m", 6815744),
    ("1e2m", 104857600),
    ("100Mb", 104857600),
    ("100mib", 104857600),
    ("100000001", 100000001),
]
# go-units semantics for values the engine then refuses as below its 6MB minimum (the CLI parses them)
PARSED_ONLY = [("512k", 524288), ("4m", 4194304), ("0.3m", 314572), ("1.5k", 1536), ("10b", 10), ("0", 0)]
REFUSED_BY_CLI = ["100X", "1.5k+", "-2", "-1M", "", "m", "100M ", "1.2.3", "10kb2", "5 kib b", "inf", "10kk"]


@pytest.mark.parametrize(("text", "expected"), MEASURED + PARSED_ONLY)
def test_sizes_mean_what_docker_run_makes_of_them(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", REFUSED_BY_CLI)
def test_sizes_docker_refuses_are_refused_with_the_field_named(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_size(text, field="memory")
    assert caught.value.field == "memory"
    assert "expected a number" in caught.value.message


def test_swap_accepts_minus_one_for_unlimited_and_sizes() -> None:
    assert parse_swap("-1") == UNLIMITED
    assert parse_swap("200M") == 209715200
    for bad in ("-2", "-1M", "-1 "):
        with pytest.raises(InvalidInput):
            parse_swap(bad)


def test_rates_must_be_positive() -> None:
    assert parse_rate("30MB") == 31457280
    assert parse_rate("10mb") == 10485760
    with pytest.raises(InvalidInput, match="greater than 0"):
        parse_rate("0")


def test_format_bytes_is_exact_or_bytes() -> None:
    assert format_bytes(104857600) == "100MiB"
    assert format_bytes(209715200) == "200MiB"
    assert format_bytes(99999744) == "97656KiB"
    assert format_bytes(100000001) == "100000001B"
    assert format_bytes(None) == "unlimited"
    assert format_bytes(UNLIMITED) == "unlimited"
