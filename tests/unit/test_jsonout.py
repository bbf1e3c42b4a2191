"""What `--json` prints of a report (dockerctl/jsonout.py), on the reports that use it."""

from __future__ import annotations

import json
from types import SimpleNamespace

from dockerctl.apply.orphans import Ended
from dockerctl.jsonout import as_json
from dockerctl.ops.proofs import ProofReport
from dockerctl.verify.verdict import Check, Verdict


def test_keys_in_order_renamed_and_nested_reports_made_plain() -> None:
    check = Check("memory", "R1", "64 MiB", "64 MiB", Verdict.ENFORCED, "memory.limit_in_bytes")
    report = ProofReport("memory", "the container c", [check])
    data = report.to_dict()
    assert list(data) == ["proof", "limits_from", "ok", "checks"]
    assert data["proof"] == "memory" and data["limits_from"] == "the container c" and data["ok"] is True
    assert data["checks"] == [check.to_dict()] and data["checks"][0]["verdict"] == "enforced"
    json.dumps(data)  # plain data only


def test_plain_values_pass_as_they_are_and_tuples_become_lists() -> None:
    ended = Ended("abc", processes=[12, 13], shim=11)
    assert ended.to_dict() == {
        "container_id": "abc",
        "processes_ended": [12, 13],
        "shim_ended": 11,
        "cgroups_removed": [],
        "skipped": "",
    }

    thing = SimpleNamespace(names=("a", "b"), table={"x": 1}, none=None)
    assert as_json(thing, "names table n=none") == {"names": ["a", "b"], "table": {"x": 1}, "n": None}
