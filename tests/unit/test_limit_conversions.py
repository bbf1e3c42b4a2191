"""cgroup v2 conversions, checked against the reference points the runtimes document."""

from __future__ import annotations

import pytest

from dockerctl.verify.limits import blkio_to_io_weight, shares_to_weight_linear, shares_to_weight_quadratic


@pytest.mark.parametrize(("shares", "weight"), [(2, 1), (1024, 39), (262144, 10000)])
def test_linear_shares_to_weight_of_older_runc(shares: int, weight: int) -> None:
    assert shares_to_weight_linear(shares) == weight


@pytest.mark.parametrize(
    ("shares", "weight"), [(2, 1), (1024, 100), (262144, 10000), (1, 1), (300000, 10000)]
)
def test_quadratic_shares_to_weight_of_newer_runc(shares: int, weight: int) -> None:
    # runc#4785: the curve passes through min (2 → 1), default (1024 → 100) and max (262144 → 10000)
    assert shares_to_weight_quadratic(shares) == weight


def test_quadratic_is_monotonic() -> None:
    weights = [shares_to_weight_quadratic(s) for s in range(2, 262145, 997)]
    assert weights == sorted(weights)


@pytest.mark.parametrize(("blkio", "io"), [(10, 1), (1000, 10000), (300, 2930), (500, 4950)])
def test_blkio_weight_to_io_weight(blkio: int, io: int) -> None:
    assert blkio_to_io_weight(blkio) == io
