"""The field table (spec/fields.py) is the single source of each limit's names (issue 38).

Scope of the spelling check: every module under dockerctl/ is scanned with ast for string constants
that are a limit's cgroup file (a limit row's v1/v2 file, the files read beside it, its v2 root file:
"memory.max", "cpu.cfs_quota_us", "io.cost.qos" …) or a seed claim of a limit row ("R4", "R6,R7" …).
Only the table may spell them: the readers (observe/limits, observe/pressure, observe/hostfacts,
observe/extra_limits, ops/audit), the verdicts (verify/limits, verify/verdict, verify/doctor,
verify/compose) and the proofs take them from its rows. Out of scope, because they are not rows of the
table: the cgroup files of observed metrics (memory.current, memory.events, cpu.stat, the pressure
files, pids.current …), limits of compose keys the table has no row for (memory.low, memory.swappiness,
memory.oom_control …), and the claims of other topics (K1, S3-S5, N2 …). Comments and prose in longer
strings are not constants equal to a name, so they do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import docker.types
from docker.models.containers import RUN_HOST_CONFIG_KWARGS

import dockerctl
from dockerctl.observe.limits import read_container_limits
from dockerctl.spec.fields import FIELDS, LIMIT_CONTROLLERS, LIMIT_FIELDS, THROTTLE_KINDS, limit_files
from dockerctl.spec.host_config import limits_from_host_config
from dockerctl.spec.models import DeviceRate, Limits
from dockerctl.verify import limits as verify_limits_module
from tests.unit.cgtrees import v1_tree, v2_tree

PACKAGE = Path(dockerctl.__file__).parent
# module (relative to dockerctl/) → why it may spell a limit's file or claim
ALLOWED = {"spec/fields.py": "the field table itself: the one place each name is written"}


def limit_names() -> set[str]:
    """Every cgroup file and seed claim of the table's limit rows."""
    names: set[str] = set()
    for name in LIMIT_FIELDS:
        row = FIELDS[name]
        names.update(row.files(1), row.files(2))
        names.update(n for n in (row.v2_root, *row.claims) if n and n != "-")
    return names


def spelled(root: Path) -> list[str]:
    """`path:line: 'name'` for each string constant under `root` that is a limit's file or claim (or a
    comma list of them, as "R2,R3"), outside the allowed modules."""
    names = limit_names()
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        if where in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                parts = node.value.split(",")
                if node.value in names or all(p in names for p in parts):
                    found.append(f"{where}:{node.lineno}: {node.value!r}")
    return found


def test_no_limit_file_or_claim_is_spelled_outside_the_table() -> None:
    assert spelled(PACKAGE) == []


def test_the_scan_finds_a_spelled_file_and_claim(tmp_path: Path) -> None:
    (tmp_path / "reader.py").write_text(
        'FILE = "memory.max"\nCLAIMS = ("R4", "R6,R7", "K1", "memory.current")\n'
    )
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "fields.py").write_text('ROW = ("cpu.weight", "R4")\n')
    assert spelled(tmp_path) == ["reader.py:1: 'memory.max'", "reader.py:2: 'R4'", "reader.py:2: 'R6,R7'"]


def test_the_allowances_name_existing_modules_with_a_reason() -> None:
    for module, reason in ALLOWED.items():
        assert (PACKAGE / module).is_file(), module
        assert len(reason) > 20


def every_limit() -> Limits:
    rate = (DeviceRate(path="/dev/sda", rate=1048576),)
    return Limits(
        memory=64 * 2**20,
        memory_swap=128 * 2**20,
        cpu_shares=512,
        cpus=1.5,
        cpuset_cpus="0",
        pids_limit=100,
        blkio_weight=300,
        device_read_bps=rate,
        device_write_bps=rate,
        device_read_iops=rate,
        device_write_iops=rate,
    )


def test_the_docker_py_arguments_and_engine_keys_of_the_table_agree_with_docker_py() -> None:
    """docker-py turns the table's docker_py arguments into its HostConfig keys: the two columns name
    the same setting, and an update sends what a create sets."""
    limits = every_limit()
    kwargs = limits.host_config()
    assert set(kwargs) == {FIELDS[n].docker_py for n in LIMIT_FIELDS}
    assert set(kwargs) <= set(RUN_HOST_CONFIG_KWARGS)
    created = docker.types.HostConfig(version="1.41", **kwargs)
    body = limits.engine_resources()
    assert set(body) == {FIELDS[n].host_config for n in LIMIT_FIELDS}
    assert {key: created[key] for key in body} == body


def test_a_host_config_docker_py_made_reads_back_as_the_limits_asked() -> None:
    limits = every_limit()
    made = docker.types.HostConfig(version="1.41", **limits.host_config())
    read_back = limits_from_host_config(made)  # plain values: the read path loads no pydantic (issue 38)
    assert read_back.asked() == limits.asked()
    assert Limits.of(read_back) == limits  # and as the model a spec holds, the same limits


def test_unset_limits_send_nothing_on_create_and_only_what_is_set_on_update() -> None:
    assert Limits().host_config() == {} and Limits().engine_resources() == {}
    # 0 is docker's "not set" on create; an update sends it as asked
    assert Limits(memory=0, cpuset_cpus="").host_config() == {"cpuset_cpus": ""}
    assert Limits(memory=0).engine_resources() == {"Memory": 0}


def test_every_limit_has_a_verdict_and_every_verdict_a_row() -> None:
    checked = set(verify_limits_module._CHECKS) | {"memory", "memory_swap"} | set(THROTTLE_KINDS)
    assert checked == set(LIMIT_FIELDS)
    assert list(verify_limits_module._CHECKS) == [
        n for n in LIMIT_FIELDS if n in verify_limits_module._CHECKS
    ]


def test_the_reader_reads_the_tables_files_under_v1(tmp_path: Path) -> None:
    """Every v1 file the table names, laid out per controller as this host does: each is read, none more."""
    memory = {name: "1\n" for name in limit_files("memory", 1)}
    other = {f"{c}/{name}": "1\n" for c in LIMIT_CONTROLLERS if c != "memory" for name in limit_files(c, 1)}
    tree = v1_tree(tmp_path, memory, other)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    assert not kernel.errors and list(kernel.controllers) == list(LIMIT_CONTROLLERS)
    for controller, read in kernel.controllers.items():
        assert list(read.readings) == list(limit_files(controller, 1)), controller
        assert all(r.present for r in read.readings.values()), controller


def test_the_reader_reads_the_tables_files_under_v2(tmp_path: Path) -> None:
    """The real v2 capture: each controller's files of the table are read, with the root-only files
    (io.cost.qos) looked for up the tree."""
    tree = v2_tree(tmp_path)
    kernel = read_container_limits(tree.reader, tree.pid, tree.container_id)
    assert list(kernel.controllers) == list(LIMIT_CONTROLLERS)
    for controller, read in kernel.controllers.items():
        roots = [
            FIELDS[n].v2_root
            for n in LIMIT_FIELDS
            if FIELDS[n].controller == controller and FIELDS[n].v2_root
        ]
        assert list(read.readings) == [*limit_files(controller, 2), *roots], controller
