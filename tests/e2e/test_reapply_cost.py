"""An unchanged lab re-applied (issue 38) asks the engine the same few questions at any size, and loads
only what reading and comparing need.

The lab is brought up with 2 containers, re-applied, grown to 6 and re-applied again. Each re-apply
runs as a user runs it (`python -m dockerctl play PB --keep --json`, in a subprocess) with every HTTP
request docker-py sends recorded on its way to the engine (passed through unchanged); when the run is
over the same process writes the requests and the names in `sys.modules` to a file the test reads.
No timing is asserted: timings live in scripts/bench-start.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Cli

# runs dockerctl as `python -m dockerctl ARGS` does, recording each request docker-py sends (method and
# path, without the API version and the query); then dumps the requests and sys.modules to argv[1]
_RUN_AND_DUMP = """
import json, re, runpy, sys
import dockerctl  # first, as `python -m dockerctl` imports it (docker-py's ssh transport stays lazy)
import requests.sessions
out, args = sys.argv[1], sys.argv[2:]
asked = []
send = requests.sessions.Session.send
def recorded(self, request, **kwargs):
    path = re.sub(r"^/v[0-9.]+/", "/", request.path_url.split("?")[0])  # the API version: the engine's
    asked.append(f"{request.method} {path}")
    return send(self, request, **kwargs)
requests.sessions.Session.send = recorded
sys.argv = ["dockerctl", *args]
code = 0
try:
    runpy.run_module("dockerctl", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
with open(out, "w", encoding="utf-8") as f:
    json.dump({"requests": asked, "modules": sorted(sys.modules)}, f)
sys.exit(code)
"""

# what only a change, a section or lab hosts need: an unchanged lab without them loads none
NOT_LOADED = (
    "dockerctl.apply.images",  # building images
    "dockerctl.apply.topology",  # creating containers, networks, volumes
    "dockerctl.apply.services",
    "dockerctl.apply.update",  # changing limits in place
    "dockerctl.ops.pool",  # the storage pool (storage:)
    "dockerctl.fabric.gluster",
    "dockerctl.fabric.labhosts",  # lab hosts (hosts:)
    "dockerctl.fabric.simhost",
    "dockerctl.fabric.swarm",  # swarm: true
    "dockerctl.fabric.etcd",  # the network models at work (their schema and section are the format's)
    "dockerctl.plugins",
    *(
        f"dockerctl.netmodels.{m}.{part}"
        for m in ("calico", "flannel", "weave")
        for part in ("model", "driver", "fabric", "proofs", "verdicts")
    ),
    "dockerctl.verify.verdict",  # the verdicts of expectations (this lab has none)
    "dockerctl.prove",
    "xml.etree",  # the pool's GlusterFS answers and --junit's report
)


def _write(pb: Path, lab: str, containers: int) -> None:
    pb.write_text(
        f"version: 1\nname: {lab}\ncontainers:\n"
        + "".join(f"  c{i}: {{memory: 64m}}\n" for i in range(containers)),
        encoding="utf-8",
    )


def _reapply(tmp_path: Path, pb: Path) -> tuple[dict[str, Any], list[str], set[str]]:
    dump = tmp_path / "reapply.json"
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_DUMP, str(dump), "play", str(pb), "--keep", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(dump.read_text(encoding="utf-8"))
    return json.loads(done.stdout), seen["requests"], set(seen["modules"])


def test_an_unchanged_lab_is_re_applied_with_the_same_requests_at_any_size(
    cli: Cli, base_image: str, lab: str, tmp_path: Path
) -> None:
    pb = tmp_path / "lab.yaml"
    try:
        _write(pb, lab, 2)
        up = cli("play", str(pb), "--keep", "--json")
        assert up.returncode == 0, up.stderr
        report, small, modules = _reapply(tmp_path, pb)
        assert [c["action"] for c in report["plan"]] == ["noop"] * 2
        assert "GET /containers/json" in small  # the control: the hook saw this run's requests

        _write(pb, lab, 6)
        grown = cli("play", str(pb), "--keep", "--json")
        assert grown.returncode == 0, grown.stderr
        assert [c["action"] for c in json.loads(grown.stdout)["plan"]] == ["noop"] * 2 + ["create"] * 4
        report, large, modules = _reapply(tmp_path, pb)
        assert [c["action"] for c in report["plan"]] == ["noop"] * 6
    finally:
        cli("down", "--lab", lab)

    # one labelled list per kind, whatever the lab's size: no inspect (nor anything else) per container
    assert large == small, f"2 containers: {small}\n6 containers: {large}"
    assert not [r for r in large if re.fullmatch(r"GET /containers/[^/]+/json", r)]
    assert {"dockerctl.ops.play", "dockerctl.apply.plan"} <= modules  # the dump is this run's
    loaded = sorted(m for m in modules for p in NOT_LOADED if m == p or m.startswith(p + "."))
    assert loaded == []
