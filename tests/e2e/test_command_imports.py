"""A command loads only what it uses (issue 38): the reading commands people run most — `limits`,
`ns`, `mounts` and `audit`, each on a real container — import no network model, no pictures, no compose
or playbook reader, no plugin, no proof, none of the lab-host machinery, no ssh library and no YAML
parser.

Chosen because each reads one container (or every container) and its kernel, and nothing in that needs
those parts; `doctor` is left out on purpose: it looks for every network model's traces on the host, so
it loads the models by design. `play`, `net`, `graph`, `compose` use what is forbidden here.

Each command runs as a user runs it, `python -m dockerctl …` in a subprocess; when it has finished, the
same process writes the names in `sys.modules` to a file, and the test reads them. No timing is asserted
(timings live in scripts/bench-start); a positive control checks that the dump came from the real run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

# runs dockerctl exactly as `python -m dockerctl ARGS` does, then dumps sys.modules to argv[1]
_RUN_AND_DUMP = """
import json, runpy, sys
out, args = sys.argv[1], sys.argv[2:]
sys.argv = ["dockerctl", *args]
code = 0
try:
    runpy.run_module("dockerctl", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
with open(out, "w", encoding="utf-8") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""

# packages (and their sub-modules) none of these commands may load
NOT_LOADED = (
    "dockerctl.netmodels",  # the models themselves; spec/netmodels.py (names only) is allowed
    "dockerctl.pictures",
    "dockerctl.spec.compose",
    "dockerctl.verify.compose",
    "dockerctl.engines.compose_cli",
    "dockerctl.ops.compose",
    "dockerctl.spec.playbook",
    "dockerctl.apply.playbook",
    "dockerctl.ops.play",
    "dockerctl.ops.lifecycle",
    "dockerctl.plugins",
    "dockerctl.prove",
    "dockerctl.fabric.labhosts",  # making and reaching lab hosts: an engine's URL is told from the records
    "dockerctl.fabric.host_kinds",
    "dockerctl.fabric.simhost",
    "dockerctl.fabric.vm",
    "dockerctl.fabric.gluster",
    "dockerctl.fabric.etcd",
    "paramiko",  # docker-py's ssh transport: only for an ssh:// engine (dockerctl/_lazy_ssh.py)
    "yaml",
)


def _loaded(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    dump = tmp_path / f"modules-{args[0]}.json"
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_DUMP, str(dump), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    return done, set(json.loads(dump.read_text(encoding="utf-8")))


def _forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules for p in NOT_LOADED if m == p or m.startswith(p + "."))


def test_the_hook_sees_what_a_command_loads(tmp_path: Path) -> None:
    """The control: a command that does read a playbook with a network model shows the reader and the
    model in the dump, so an empty finding below means something."""
    playbook = Path(__file__).parents[2] / "playbooks" / "calico-policy.yaml"
    done, modules = _loaded(tmp_path, "playbook", "validate", str(playbook))
    assert done.returncode == 0, done.stderr
    assert {"dockerctl.spec.playbook", "dockerctl.netmodels.calico", "yaml"} <= modules
    assert "dockerctl.pictures" not in modules


@pytest.fixture
def container(cli: Cli, base_image: str, lab: str) -> str:
    name = f"{lab}-light"
    made = cli("run", "--lab", lab, "--name", name, "-m", "64M", "-v", f"{lab}-data:/data", base_image)
    assert made.returncode == 0, made.stderr
    return name


@pytest.mark.parametrize(
    ("args", "used"),
    [
        (["limits", "{c}", "--json"], "dockerctl.ops.limits"),
        (["ns", "{c}", "--json"], "dockerctl.ops.namespaces"),
        (["mounts", "{c}", "--json"], "dockerctl.ops.storage"),
        (["audit", "--json"], "dockerctl.ops.audit"),
    ],
    ids=["limits", "ns", "mounts", "audit"],
)
def test_a_reading_command_loads_only_what_it_uses(
    tmp_path: Path, container: str, args: list[str], used: str
) -> None:
    done, modules = _loaded(tmp_path, *(a.format(c=container) for a in args))
    assert done.returncode in (0, 1), done.stderr  # audit: 1 when someone's container breaks a rule
    report = json.loads(done.stdout)
    assert container in json.dumps(report)  # it really read the container the test made
    assert used in modules  # and the dump is this run's
    assert _forbidden(modules) == []
