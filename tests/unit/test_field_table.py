"""The field table is the one list of settings: every other list of names is derived from it or held
to it here, so a limit added to the table and forgotten elsewhere fails a test."""

from __future__ import annotations

import inspect

from dockerctl.cli import limits as limits_cli
from dockerctl.cli import run as run_cli
from dockerctl.prove.expectations import REGISTRY
from dockerctl.spec.fields import FIELDS, IO_MAX_KEYS, LIMIT_FIELDS, SUBJECTS, THROTTLE_KINDS
from dockerctl.spec.models import Limits
from dockerctl.spec.playbook import KINDS, Expectation
from dockerctl.spec.topology import ContainerEntry


def test_limit_lists_come_from_the_table() -> None:
    assert tuple(n for n, f in FIELDS.items() if f.controller is not None) == LIMIT_FIELDS
    assert set(THROTTLE_KINDS) == {n for n in LIMIT_FIELDS if FIELDS[n].v2_file == "io.max"}
    assert IO_MAX_KEYS == {
        "device_read_bps": "rbps",
        "device_write_bps": "wbps",
        "device_read_iops": "riops",
        "device_write_iops": "wiops",
    }
    assert SUBJECTS["memory_swap"] == "memory+swap" and "device_read_bps" not in SUBJECTS


def test_every_limit_is_a_spec_field_a_playbook_key_and_a_flag_of_run_and_update() -> None:
    assert set(LIMIT_FIELDS) <= set(Limits.model_fields)
    assert set(LIMIT_FIELDS) <= set(ContainerEntry.model_fields)
    for command in (run_cli.run, limits_cli.update):
        params = set(inspect.signature(command).parameters)
        assert set(LIMIT_FIELDS) <= params, f"{command.__name__} lacks {set(LIMIT_FIELDS) - params}"


def test_every_expectation_kind_has_exactly_one_handler() -> None:
    assert set(KINDS) == set(REGISTRY)
    assert set(KINDS) == set(Expectation.model_fields) - {"claim", "note"}
