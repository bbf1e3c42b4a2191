"""compose verify's pure parts on real captured output: Docker Compose v2.40.3's `config --format json`
of tests/fixtures/compose/compose.yaml, /proc/PID/limits and busybox nslookup answers read on this machine
kind, the real cgroup v2 directory for the v2 judgements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.observe.cgroup import Reading
from dockerctl.observe.extra_limits import ExtraReadings, parse_proc_limits, parse_tmpfs_size
from dockerctl.observe.netns_probe import parse_nslookup
from dockerctl.spec.compose import (
    Ask,
    ComposeProject,
    Locator,
    dropped_sizes,
    project_from_model,
    subset_model,
)
from dockerctl.verify.compose import hash_check, judge_extra, layered, replicas_check
from dockerctl.verify.verdict import Check, Verdict

FIX = Path(__file__).parent.parent / "fixtures" / "compose"
V2 = Path(__file__).parent.parent / "fixtures" / "cgroup-v2-real" / "tree"
FILE = str(FIX / "compose.yaml")


def _project(model: dict[str, Any]) -> ComposeProject:
    return project_from_model(model, (FILE,), "test", Locator.of([FILE]))


def _asks(project: ComposeProject) -> dict[str, Ask]:
    return {f"{s}.{a.key}": a for s, svc in project.services.items() for a in svc.asks}


def test_compose_config_json_gives_every_key_in_the_engines_terms_at_its_line() -> None:
    project = _project(json.loads((FIX / "config.json").read_text()))
    asks = _asks(project)
    assert asks["web.mem_limit"].value == 64 * 2**20
    assert asks["web.mem_limit"].where == f"{FILE}:6"
    assert asks["web.cpus"].value == 500_000_000  # NanoCpus
    assert asks["web.ulimits.nofile"].value == {"soft": 1024, "hard": 2048}
    assert asks["web.ulimits.nproc"].value == {"soft": 512, "hard": 512}
    assert asks["web.ulimits.nproc"].where == f"{FILE}:23"
    assert asks["web.blkio_config.device_read_bps"].value == (("/dev/vda", 2**20),)
    assert asks["web.mem_swappiness"].value == 10
    assert asks["db.deploy.resources.limits.memory"].where == f"{FILE}:40"
    reserve = asks["db.deploy.resources.reservations.cpus"]
    assert reserve.spec is not None and reserve.spec.dropped_by_compose
    assert project.services["db"].replicas == 2
    assert project.networks["back"].subnets == ("172.31.50.0/24",)
    assert project.networks["front"].name == "demo_front"
    web = project.services["web"]
    assert [(n.name, n.aliases) for n in web.networks] == [("front", ("www",))]
    assert [(m.type, m.target, m.read_only) for m in web.mounts] == [
        ("volume", "/data", False),
        ("bind", "/cfg", True),
        ("tmpfs", "/scratch", False),
    ]
    assert [(p.host_ip, p.published, p.target) for p in web.ports] == [("127.0.0.1", 18080, 80)]


def test_own_reader_reads_the_same_values_as_compose_v2() -> None:
    """dockerctl's PyYAML subset and compose's own normalizer agree key for key on the same file."""
    compose = _asks(_project(json.loads((FIX / "config.json").read_text())))
    own = _asks(_project(subset_model([Path(FILE)], None, {})))
    assert {k: (a.value, a.where) for k, a in own.items()} == {
        k: (a.value, a.where) for k, a in compose.items()
    }


def test_own_reader_interpolates_and_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text("services:\n  a:\n    image: x\n    mem_limit: ${MEM:-32m}\n    cpus: ${CPUS}\n")
    project = project_from_model(
        subset_model([f], None, {"CPUS": "0.5"}), (str(f),), "t", Locator.of([str(f)])
    )
    assert project.name == tmp_path.name.lower().replace(".", "")
    assert {a.key: a.value for a in project.services["a"].asks} == {
        "mem_limit": 32 * 2**20,
        "cpus": 500_000_000,
    }
    f.write_text("services:\n  a:\n    image: x\n    extends: {service: b}\n")
    with pytest.raises(InvalidInput, match="needs Docker Compose v2") as err:
        subset_model([f], None, {})
    assert err.value.where == f"{f}:4"
    f.write_text("services:\n  a:\n    image: x\n    memory_limit: 3m\n")
    with pytest.raises(InvalidInput, match="did you mean 'mem_limit'"):
        subset_model([f], None, {})


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("error while interpolating services.web.cpus: failed to cast to expected type", 9),
        ("'services[web].shm_size' invalid size: 'big'", 12),
        ("validating x.yml: services.web additional properties 'memory_limit' not allowed", 3),
        ('service "web" refers to undefined network nosuch: invalid compose project', 24),
        ("services.db: can't set distinct values on 'mem_limit' and 'deploy'", 34),
    ],
)
def test_compose_messages_point_at_the_line_of_the_key(message: str, line: int) -> None:
    where = Locator.of([FILE]).key_path(message)
    assert where.rsplit(":", 1) == [FILE, str(line)]


def test_proc_limits_and_tmpfs_size_parse_real_text() -> None:
    rows = parse_proc_limits((FIX / "proc-pid-limits.txt").read_text())
    assert rows["Max open files"] == ("1024", "2048")
    assert rows["Max processes"] == ("512", "512")
    assert rows["Max cpu time"] == ("unlimited", "unlimited")
    assert parse_tmpfs_size(("rw", "size=16384k")) == 16 * 2**20
    assert parse_tmpfs_size(("rw",)) is None


def test_nslookup_answers_name_the_address_and_never_the_server() -> None:
    assert parse_nslookup((FIX / "nslookup-found.txt").read_text()) == ["172.18.0.2"]
    assert parse_nslookup((FIX / "nslookup-nxdomain.txt").read_text()) == []


def _ask(key: str) -> Ask:
    project = _project(json.loads((FIX / "config.json").read_text()))
    return _asks(project)[key]


def test_v2_kernel_cannot_hold_swappiness_or_the_oom_kill_switch() -> None:
    readings = ExtraReadings(version=2, files={}, errors={})
    swappiness = judge_extra(_ask("web.mem_swappiness"), readings)
    oom = judge_extra(_ask("web.oom_kill_disable"), readings)
    assert swappiness.verdict is Verdict.NOT_ENFORCED and "cgroup v2" in swappiness.note
    assert oom.verdict is Verdict.NOT_ENFORCED and "42865" in oom.note


def test_v2_reservation_and_quota_from_the_real_v2_files() -> None:
    files = {name: Reading(str(V2 / name), (V2 / name).read_text()) for name in ("memory.low", "cpu.max")}
    readings = ExtraReadings(version=2, files=files, errors={})
    reserve = judge_extra(_ask("web.mem_reservation"), readings)
    assert reserve.verdict is Verdict.MISMATCH and reserve.observed == "unset"  # memory.low is 0 there
    from dockerctl.spec.compose import KEYS

    quota_key = next(k for k in KEYS if k.path == ("cpu_quota",))
    quota = judge_extra(Ask("cpu_quota", quota_key, 150000, "150000", "f:1", "CpuQuota"), readings)
    assert quota.verdict is Verdict.ENFORCED and quota.evidence.endswith("cpu.max")


def test_layers_say_where_a_value_was_lost() -> None:
    mem = _ask("web.mem_limit")
    hc_file = {"Memory": 64 * 2**20}
    enforced = Check("memory", "R1", "64MiB", "64MiB", Verdict.ENFORCED, "memory.limit_in_bytes")
    assert layered(mem, enforced, hc_file).verdict is Verdict.ENFORCED
    # docker update behind compose's back: engine and kernel hold 32MiB, the file says 64MiB
    changed = Check("memory", "R1", "64MiB", "32MiB", Verdict.MISMATCH, "memory.limit_in_bytes")
    got = layered(mem, changed, {"Memory": 32 * 2**20})
    assert got.verdict is Verdict.MISMATCH and got.engine == "32MiB" and "docker update" in got.note
    # never reached the engine (a panel, compose v1 with deploy.resources): HostConfig.Memory 0
    lost = Check("memory", "R1", "64MiB", "unlimited", Verdict.MISMATCH, "memory.limit_in_bytes")
    got = layered(mem, lost, {"Memory": 0})
    assert got.verdict is Verdict.MISMATCH and "never reached the engine" in got.note
    # compose drops CPU reservations outside swarm
    reserve = _ask("db.deploy.resources.reservations.cpus")
    got = layered(reserve, judge_extra(reserve, ExtraReadings()), {})
    assert got.verdict is Verdict.NOT_ENFORCED and "swarm" in got.note


def test_replicas_and_hash_drift() -> None:
    assert replicas_check(2, ["a", "b"], []).verdict is Verdict.ENFORCED
    short = replicas_check(3, ["a", "b"], ["c (exited)"])
    assert short.verdict is Verdict.MISMATCH and "1 fewer" in short.note
    same = hash_check("abc", "abc")
    assert same is not None and same.verdict is Verdict.ENFORCED
    old = hash_check("abc", "def")
    assert old is not None and old.verdict is Verdict.MISMATCH and "older version" in old.note
    assert hash_check("abc", None) is None  # no compose v2 to hash the file with
    # hashes of two compose versions are not comparable: no verdict on drift at all
    assert hash_check("abc", "def", "1.29.2", "2.40.3") is None
    other = hash_check("abc", "def", "2.40.3", "2.40.3")
    assert other is not None and other.verdict is Verdict.MISMATCH


def test_a_size_compose_reads_as_a_float_is_said_to_be_no_limit(tmp_path: Path) -> None:
    """compose's YAML reads `mem_limit: 1e3` as the float 1000.0, and a size written as a float as no
    limit at all: verify's notes say so at its line (a 29-digit number is such a float too)."""
    f = tmp_path / "compose.yaml"
    f.write_text(
        "services:\n  web:\n    image: x\n    mem_limit: 1e3\n    shm_size: 99999999999999999999999999999\n"
        "    memswap_limit: 64m\n    mem_reservation: '1e3'\n"
    )
    notes = dropped_sizes((str(f),), Locator.of([str(f)]))
    assert len(notes) == 2, notes
    assert notes[0].startswith(f"{f}:4: mem_limit: 1000 is a YAML float") and "no limit at all" in notes[0]
    assert notes[1].startswith(f"{f}:5: shm_size: 1e+29 is past the engine's int64"), notes[1]
