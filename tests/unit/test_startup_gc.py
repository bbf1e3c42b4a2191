"""The cyclic collector waits while the CLI's modules load and runs again for the command itself (issue
38): what the imports made is frozen (gc.freeze), never left uncollected-for by a collector left off.

`dockerctl playbook validate` runs as a user runs it, `python -m dockerctl …` in a subprocess, and the
same process reports the collector's state when the command has finished."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_RUN_AND_REPORT = """
import gc, json, runpy, sys
sys.argv = ["dockerctl", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("dockerctl", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}), file=sys.stderr)
sys.exit(code)
"""


def test_the_collector_runs_again_once_the_command_is_loaded() -> None:
    playbook = Path(__file__).parents[2] / "playbooks" / "limits.yaml"
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT, "playbook", "validate", str(playbook)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stderr.strip().splitlines()[-1])
    assert state["enabled"] is True
    # the modules, classes and validators the imports made: out of the collector's sight
    assert state["frozen"] > 50_000, state
