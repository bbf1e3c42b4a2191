"""Plain limit values (spec/limit_values.py) against the pydantic model they stand in for on the read path
(issue 38): for everything dockerctl records, the same limits, the same `asked()` (the label and the
report print it), and the same error naming the same field; anything else goes through the model
itself. The model is the reference here: each property below compares the two on generated values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockerctl.errors import InvalidInput
from dockerctl.spec.fields import THROTTLE_KINDS
from dockerctl.spec.limit_values import DeviceRateValue, LimitValues, recorded
from dockerctl.spec.models import DeviceRate, Limits

ROOT = Path(__file__).parents[2]

# values around every rule's edges (6MB, 2–262144 shares, 0.01 CPUs, -1 unlimited, int64 …)
_INT = st.one_of(
    st.none(),
    st.sampled_from(
        [0, -2, -1, 1, 2, 10, 1000, 1001, 6 * 1024 * 1024 - 1, 6 * 1024 * 1024, 2**63 - 1, 2**63]
    ),
    st.integers(min_value=-10, max_value=2**34),
)
_DEVICES = st.lists(
    st.fixed_dictionaries(
        {"path": st.sampled_from(["/dev/sda", "/dev/vdb", "/dev/sda1"]), "rate": st.integers(-1, 2**40)}
    ),
    max_size=3,
)
RECORDED = st.fixed_dictionaries(
    {},
    optional={
        "memory": _INT,
        "memory_swap": _INT,
        "cpu_shares": _INT,
        "cpus": st.one_of(st.none(), st.floats(allow_nan=True), st.integers(0, 9000)),
        "cpuset_cpus": st.one_of(
            st.none(), st.sampled_from(["0", "0-1", "0,2", "1-0", "x", "", "0-99999999"])
        ),
        "pids_limit": _INT,
        "blkio_weight": _INT,
        **{kind: _DEVICES for kind in THROTTLE_KINDS},
    },
)


def _outcome(make: Any, values: dict[str, Any]) -> tuple[str, Any]:
    try:
        made = make(values)
    except InvalidInput as exc:
        return "refused", (str(exc), exc.field)
    return "limits", (
        list(made.asked().items()),
        made.effective_memory,
        made.effective_memory_swap,
        made.nano_cpus,
    )


@settings(max_examples=400, deadline=None, derandomize=True)
@given(RECORDED)
def test_recorded_values_give_what_the_model_gives(values: dict[str, Any]) -> None:
    """What a label says → the same limits (asked() item by item, in order) or the same refusal."""
    assert _outcome(recorded, values) == _outcome(lambda v: Limits(**v), values)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(RECORDED)
def test_plain_values_become_the_model_unchanged(values: dict[str, Any]) -> None:
    """Limits.of: the model a spec holds, equal to the one validated from the same record."""
    try:
        model = Limits(**values)
    except InvalidInput:
        return
    plain = recorded(values)
    assert not isinstance(plain, Limits)  # every generated record is one dockerctl could have written
    assert Limits.of(plain) == model
    assert Limits.of(plain).asked() == plain.asked() == model.asked()
    assert plain.host_config() == model.host_config() and plain.engine_resources() == model.engine_resources()


@pytest.mark.parametrize(
    "odd",
    [
        {"memory": "67108864"},  # a number in a string: pydantic's coercion decides
        {"memory": True},
        {"memory": 67108864.0},
        {"cpus": "0.5"},
        {"device_read_bps": [{"path": "/dev/sda", "rate": "5"}]},
        {"device_read_bps": [{"path": "/dev/sda", "rate": 5, "extra": 1}]},
        {"device_read_bps": ({"path": "/dev/sda", "rate": 5},)},
        {"bogus": 1},
        {"bogus": None},
    ],
)
def test_anything_dockerctl_does_not_write_goes_through_the_model(odd: dict[str, Any]) -> None:
    def either(make: Any) -> tuple[str, Any]:
        try:
            made = make()
        except pydantic.ValidationError as exc:
            return "invalid", exc.errors()
        except InvalidInput as exc:
            return "refused", (str(exc), exc.field)
        assert isinstance(made, Limits)  # the model's own coercion made it
        return "made", made

    assert either(lambda: recorded(odd)) == either(lambda: Limits(**odd))


def test_the_model_is_the_plain_values_validated() -> None:
    """One declaration of the fields: the model's are the plain values' (device entries validated)."""
    assert list(Limits.model_fields) == [f for f in LimitValues.__dataclass_fields__]
    limits = Limits(device_read_bps=[{"path": "/dev/sda", "rate": 5}])
    assert isinstance(limits, LimitValues) and isinstance(limits.device_read_bps[0], DeviceRate)
    assert isinstance(limits.device_read_bps[0], DeviceRateValue)
    with pytest.raises(pydantic.ValidationError):
        DeviceRate(path="/dev/sda", rate=5, extra=1)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        Limits(memory=6 * 1024 * 1024).model_copy().__setattr__("memory", 1)  # still frozen


def test_host_config_values_are_not_checked_again() -> None:
    """HostConfig read back is what the engine took: plain values keep it as it is, as before."""
    odd = LimitValues(cpu_shares=1)  # the engine takes 1 (the kernel makes it 2); the model's rule would not
    assert Limits.of(odd).cpu_shares == 1 and Limits.of(odd).asked() == {"cpu_shares": 1}


def test_reading_a_record_loads_no_validation_library() -> None:
    """The point of it: a recorded request → limits, checked, in a fresh interpreter without pydantic."""
    code = (
        "import sys\n"
        "from dockerctl.spec.limit_values import recorded\n"
        "v = recorded({'memory': 67108864, 'cpus': 0.5, 'device_read_bps': [{'path': '/dev/sda', 'rate': 5}]})\n"
        "assert v.effective_memory_swap == 2 * 67108864 and v.nano_cpus == 500000000\n"
        "try:\n"
        "    recorded({'memory': 5})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc.field)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    refused, modules = done.stdout.splitlines()
    assert refused == "InvalidInput memory"
    assert json.loads(modules.replace("'", '"')) == []
