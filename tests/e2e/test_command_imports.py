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

`limits C` is held to more (issue 38's 0.15 s): no apply/ module and no pydantic model of dockerctl's
(the limits asked are plain values), and with --json no rich. pydantic itself is loaded by typer, which
coerces every non-bool parameter through a pydantic TypeAdapter (typer/_adapters.py); the dump names the
module whose import loaded it first, and for `limits` that must be typer, never dockerctl.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli

# runs dockerctl exactly as `python -m dockerctl ARGS` does, then dumps sys.modules to argv[1], with the
# module whose code first imported each of WATCHED (the first frame outside the import machinery)
_RUN_AND_DUMP = """
import json, runpy, sys
WATCHED = ("pydantic", "rich")
out, args = sys.argv[1], sys.argv[2:]
importers = {}

class FirstImporter:
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in importers:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename.startswith("<frozen "):
                frame = frame.f_back
            importers[name] = frame.f_globals.get("__name__") if frame is not None else None
        return None

sys.meta_path.insert(0, FirstImporter())
sys.argv = ["dockerctl", *args]
code = 0
try:
    runpy.run_module("dockerctl", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
with open(out, "w", encoding="utf-8") as f:
    json.dump({"modules": sorted(sys.modules), "importers": importers}, f)
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
    done, dump = _run(tmp_path, *args)
    return done, set(dump["modules"])


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    dump = tmp_path / f"modules-{args[0]}.json"
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_DUMP, str(dump), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    return done, dict(json.loads(dump.read_text(encoding="utf-8")))


def _forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules for p in NOT_LOADED if m == p or m.startswith(p + "."))


def test_the_hook_sees_what_a_command_loads(tmp_path: Path) -> None:
    """The control: a command that does read a playbook with a network model shows the reader and the
    model in the dump, so an empty finding below means something; likewise who imported pydantic."""
    playbook = Path(__file__).parents[2] / "playbooks" / "calico-policy.yaml"
    done, dump = _run(tmp_path, "playbook", "validate", str(playbook))
    assert done.returncode == 0, done.stderr
    modules = set(dump["modules"])
    assert {"dockerctl.spec.playbook", "dockerctl.netmodels.calico", "yaml"} <= modules
    assert "dockerctl.pictures" not in modules
    # and it names who loaded pydantic: the playbook's models, imported before typer parses anything
    assert dump["importers"]["pydantic"].startswith("dockerctl.spec.")


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


# what `limits C` must not load beyond NOT_LOADED: the apply/ layer (it changes things) and every
# dockerctl module that defines pydantic models (the read path holds the limits as plain values)
NOT_ON_THE_READ_PATH = (
    "dockerctl.apply",
    "dockerctl.spec.models",
    "dockerctl.spec.mounts",
    "dockerctl.spec.network",
    "dockerctl.spec.storage",
    "dockerctl.spec.topology",
    "dockerctl.spec.playbook",
)


@pytest.mark.parametrize("json_out", [True, False], ids=["json", "table"])
def test_limits_reads_with_plain_values_and_prints_json_without_rich(
    tmp_path: Path, container: str, json_out: bool
) -> None:
    """`limits C` (issue 38): its report as before, with no apply/ module and no pydantic model of
    dockerctl's; pydantic, if loaded, is typer's doing; rich only when a table is printed."""
    done, dump = _run(tmp_path, "limits", container, *(["--json"] if json_out else []))
    assert done.returncode == 0, done.stderr
    modules, importers = set(dump["modules"]), dump["importers"]
    if json_out:
        report = json.loads(done.stdout)
        assert report["container"]["name"] == container and report["ok"] is True
        assert {c["subject"]: c["desired"] for c in report["checks"]}["memory"] == "67108864 (64MiB)"
        assert "rich" not in modules and "rich" not in importers
    else:
        assert f"{container}: asked vs kernel" in done.stdout and "limits hold" in done.stdout
        assert "rich" in modules  # the control: the table was printed with it
    assert "dockerctl.ops.limits" in modules  # the dump is this run's
    assert sorted(m for m in modules for p in NOT_ON_THE_READ_PATH if m == p or m.startswith(p + ".")) == []
    assert "dockerctl.spec.limit_values" in modules  # the limits asked, as plain values
    assert str(importers.get("pydantic", "typer")).startswith("typer")
