"""A lab's lifecycle loads only the network models its playbook has a section for: a lab without one
(the 20-container re-apply of scripts/bench-start) loads none of their models, fabrics or drivers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLAYBOOKS = Path(__file__).parents[2] / "playbooks"

_CODE = """
    import json, sys
    from dockerctl.netmodels.base import used_by
    from dockerctl.spec.playbook import load_playbook
    used = used_by(load_playbook(sys.argv[1]))
    loaded = sorted(m for m in sys.modules if m.startswith("dockerctl.netmodels.")
                    and m.rsplit(".", 1)[1] in ("model", "fabric", "driver", "proofs", "verdicts"))
    print(json.dumps({"used": sorted(m.name for m in used.values()), "loaded": loaded}))
"""


@pytest.mark.parametrize(
    ("playbook", "used"),
    [
        ("limits.yaml", []),
        ("networks.yaml", []),
        ("calico-policy.yaml", ["calico"]),
        ("flannel-vxlan.yaml", ["flannel"]),
        ("weave-mesh.yaml", ["weave"]),
    ],
)
def test_only_the_models_a_playbook_has_are_loaded(playbook: str, used: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CODE), str(PLAYBOOKS / playbook)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found = json.loads(done.stdout)
    assert found["used"] == used
    # a used model's own module is loaded (its fabric with it), an unused one's parts never are
    assert {m.split(".")[2] for m in found["loaded"]} == set(used)
