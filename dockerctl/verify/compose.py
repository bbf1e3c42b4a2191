"""A compose project judged in three layers: the file the operator wrote → what the engine kept
(HostConfig) → what the kernel holds. Pure: no engine, no I/O; the readings come in, Checks go out.

Verdicts: enforced (the kernel holds the file's value), not-enforced (this kernel or the engine cannot hold
it, or compose never passes it), mismatch (the kernel holds something else: a `docker update` behind
compose's back, a container from an older file, a key lost on the way), unknown (not read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockerctl.observe.extra_limits import ULIMIT_ROWS, ExtraReadings
from dockerctl.spec.compose import Ask
from dockerctl.spec.fields import FIELDS
from dockerctl.spec.units import format_bytes
from dockerctl.verify.verdict import Check, Verdict

CLAIM = "compose"
CPUS = FIELDS["cpus"]  # its files hold CpuQuota and CpuPeriod


@dataclass(frozen=True)
class Row:
    """One verified statement about a compose project, with the FILE:LINE it comes from."""

    service: str
    container: str  # "" for a row about the service or a network
    where: str
    check: Check

    @property
    def ok(self) -> bool:
        return self.check.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "container": self.container,
            "where": self.where,
            **self.check.to_dict(),
        }


# ---------------------------------------------------------------------------------------------------------
# what the engine kept


def held_by_engine(ask: Ask, hc: dict[str, Any]) -> Any:
    """The value HostConfig holds for the ask's key, in the ask's terms; None when it holds none."""
    key = ask.host_config
    if not key:
        return None
    if key == "Ulimits":
        name = ask.key.split(".", 1)[1]
        for u in hc.get("Ulimits") or []:
            if u.get("Name") == name:
                return {"soft": int(u["Soft"]), "hard": int(u["Hard"])}
        return None
    value = hc.get(key)
    if key.startswith("BlkioDevice"):
        return tuple((str(d["Path"]), int(d["Rate"])) for d in value or []) or None
    if key == "OomKillDisable":
        return bool(value) if value is not None else None
    if key == "MemorySwappiness":
        return None if value in (None, -1) else int(value)
    if key in ("OomScoreAdj",):
        return int(value or 0)
    if key == "CpusetCpus":
        return value or None
    if key == "MemorySwap":
        return None if value in (None, 0) else int(value)
    return value or None


def _engine_shown(ask: Ask, held: Any) -> str:
    if held is None:
        return "none"
    if ask.spec is not None and ask.spec.kind == "size":
        return format_bytes(held) if held >= 0 else "unlimited"
    if ask.spec is not None and ask.spec.kind == "cpus":
        return f"{held / 1e9:g} CPUs"
    if isinstance(held, dict):
        return f"soft {held['soft']}, hard {held['hard']}"
    if isinstance(held, tuple):
        return ", ".join(f"{p} {r}" for p, r in held)
    return str(held).lower() if isinstance(held, bool) else str(held)


def layered(ask: Ask, kernel: Check, hc: dict[str, Any], drift: str = "") -> Check:
    """The kernel's verdict on the file's value, with what the engine kept and why they differ.

    `drift`: why the container may differ from the file (it was made from an older version of it)."""
    held = held_by_engine(ask, hc)
    notes = [kernel.note] if kernel.note else []
    verdict = kernel.verdict
    if ask.spec is not None and ask.spec.dropped_by_compose:
        notes.insert(0, ask.spec.dropped_by_compose)
        if verdict is not Verdict.ENFORCED:
            verdict = Verdict.NOT_ENFORCED
    elif held != ask.value and not (
        ask.spec is not None and ask.spec.kind == "bool" and not ask.value and not held
    ):
        if held is None:
            if ask.host_config in kernel.note:
                pass  # the kernel check already says what the engine kept
            elif verdict is Verdict.NOT_ENFORCED:
                notes.insert(0, f"the engine kept no {ask.host_config} (it drops what this kernel cannot do)")
            else:
                notes.insert(
                    0,
                    f"HostConfig.{ask.host_config} is not set: the value never reached the engine "
                    "(compose v1 before 1.27 and early v2 ignored deploy.resources; panels leave it 0)",
                )
        else:
            notes.insert(
                0,
                f"HostConfig.{ask.host_config} holds {_engine_shown(ask, held)}: "
                + (drift or "changed after compose made the container (docker update behind compose's back)"),
            )
        if verdict is Verdict.ENFORCED and held is not None:
            verdict = Verdict.MISMATCH
    return Check(
        ask.key,
        kernel.claim if kernel.claim else CLAIM,
        ask.shown,
        kernel.observed,
        verdict,
        kernel.evidence,
        "; ".join(notes),
        _engine_shown(ask, held),
    )


# ---------------------------------------------------------------------------------------------------------
# keys the course's seven do not cover, judged from ExtraReadings


def _cmp_bytes(ask: Ask, observed: int | None, evidence: str, page: int) -> Check:
    shown = "unset" if observed is None else format_bytes(observed)
    if observed is None:
        return Check(ask.key, CLAIM, ask.shown, shown, Verdict.MISMATCH, evidence)
    ok = observed == ask.value or (observed % page == 0 and 0 <= ask.value - observed < page)
    return Check(ask.key, CLAIM, ask.shown, shown, Verdict.ENFORCED if ok else Verdict.MISMATCH, evidence)


def _equal(ask: Ask, observed: str, value: object, evidence: str) -> Check:
    """The kernel's value against the file's: enforced when equal, else mismatch."""
    verdict = Verdict.ENFORCED if value == ask.value else Verdict.MISMATCH
    return Check(ask.key, CLAIM, ask.shown, observed, verdict, evidence)


def _unknown(ask: Ask, why: str, evidence: str = "") -> Check:
    return Check(ask.key, CLAIM, ask.shown, "not read", Verdict.UNKNOWN, evidence, why)


def _not_on_v2(ask: Ask, observed: str, held: bool, why: str) -> Check:
    """A key cgroup v2 has no file for (`held`: what was asked is what v2 does anyway)."""
    return Check(
        ask.key, CLAIM, ask.shown, observed, Verdict.ENFORCED if held else Verdict.NOT_ENFORCED, "", why
    )


def judge_extra(ask: Ask, r: ExtraReadings, page: int = 4096) -> Check:
    """The kernel's value of one key outside the Limits model (mem_reservation, ulimits, shm_size …)."""
    files = r.files or {}
    name = ask.host_config

    def f(file: str) -> Any:
        return files.get(file)

    if name == "MemoryReservation":
        reading = f("memory.soft_limit_in_bytes") or f("memory.low")
        if reading is None or not reading.present:
            return _unknown(ask, (r.errors or {}).get("memory", "no memory reservation file"))
        value = reading.as_limit() or None  # 0: no reservation
        return _cmp_bytes(ask, value, reading.path, page)
    if name == "MemorySwappiness":
        if r.version == 2:
            why = "cgroup v2 has no per-cgroup swappiness: the engine ignores MemorySwappiness there"
            return _not_on_v2(ask, "no such file on cgroup v2", False, why)
        reading = f("memory.swappiness")
        if reading is None or not reading.present:
            return _unknown(ask, (r.errors or {}).get("memory", "memory.swappiness not found"))
        return _equal(ask, reading.text, int(reading.text), reading.path)
    if name == "OomKillDisable":
        if r.version == 2:
            why = (
                ""
                if not ask.value
                else "the engine discards --oom-kill-disable on cgroup v2 (moby/moby#42865)"
            )
            return _not_on_v2(ask, "no OOM-kill switch on cgroup v2", not ask.value, why)
        reading = f("memory.oom_control")
        if reading is None or not reading.present:
            return _unknown(ask, (r.errors or {}).get("memory", "memory.oom_control not found"))
        fields = dict(line.split() for line in reading.text.splitlines() if len(line.split()) == 2)
        held = fields.get("oom_kill_disable") == "1"
        return _equal(ask, f"oom_kill_disable {fields.get('oom_kill_disable', '?')}", held, reading.path)
    if name in ("CpuQuota", "CpuPeriod"):
        quota_v1, period_v1 = CPUS.files(1)
        if f(CPUS.file(2)) is not None:
            reading = f(CPUS.file(2))
            quota, _, period = reading.text.partition(" ")
            text = quota if name == "CpuQuota" else period
            value = -1 if text == "max" else int(text)
        else:
            reading = f(quota_v1 if name == "CpuQuota" else period_v1)
            if reading is None or not reading.present:
                return _unknown(ask, (r.errors or {}).get("cpu", "no CFS files"))
            value = int(reading.text)
        return _equal(ask, str(value), value, reading.path)
    if name == "OomScoreAdj":
        reading = r.oom_score_adj
        if reading is None or not reading.present:
            return _unknown(ask, "oom_score_adj could not be read")
        return _equal(ask, reading.text, int(reading.text), reading.path)
    if name == "ShmSize":
        if r.shm is None:
            return Check(ask.key, CLAIM, ask.shown, "no /dev/shm mount", Verdict.MISMATCH, "mountinfo")
        size, evidence = r.shm
        return _cmp_bytes(ask, size, evidence, page)
    if name == "Ulimits":
        limit = ask.key.split(".", 1)[1]
        row = ULIMIT_ROWS.get(limit)
        if r.limits is None or row is None or row not in r.limits:
            return _unknown(ask, f"no {row or limit} row in /proc/PID/limits", r.limits_path)
        soft, hard = r.limits[row]

        def same(text: str, want: int) -> bool:
            return (text == "unlimited" and want < 0) or (text.isdigit() and int(text) == want)

        ok = same(soft, ask.value["soft"]) and same(hard, ask.value["hard"])
        return Check(
            ask.key,
            CLAIM,
            ask.shown,
            f"soft {soft}, hard {hard}",
            Verdict.ENFORCED if ok else Verdict.MISMATCH,
            f"{r.limits_path} ({row})",
        )
    if ask.spec is not None and ask.spec.dropped_by_compose:
        return Check(ask.key, CLAIM, ask.shown, "not held", Verdict.NOT_ENFORCED, "", "")
    return _unknown(ask, "dockerctl reads no kernel file for this key yet")


# ---------------------------------------------------------------------------------------------------------
# containers against the file


def replicas_check(wanted: int, running: list[str], stopped: list[str]) -> Check:
    observed = f"{len(running)} running" + (f", not running: {', '.join(stopped)}" if stopped else "")
    verdict = Verdict.ENFORCED if len(running) == wanted and not stopped else Verdict.MISMATCH
    note = ""
    if len(running) < wanted:
        note = f"{wanted - len(running)} fewer than the file asks (`docker compose up -d` starts them)"
    elif len(running) > wanted:
        note = f"{len(running) - wanted} more than the file asks"
    return Check(
        "containers",
        CLAIM,
        f"{wanted} running",
        observed,
        verdict,
        "containers labelled com.docker.compose.project/service",
        note,
    )


def hash_check(label: str | None, current: str | None, made_by: str = "", reader: str = "") -> Check | None:
    """The container's config-hash label against the file's hash now; None when they cannot be compared:
    no compose v2 to hash the file, or the container made by another compose version (hashes compare only
    within one version, so a difference there is no sign of drift)."""
    if current is None or (made_by and reader and made_by.lstrip("v") != reader.lstrip("v")):
        return None
    same = label == current
    return Check(
        "made from this file", CLAIM, current[:12], (label or "no label")[:12],
        Verdict.ENFORCED if same else Verdict.MISMATCH,
        "label com.docker.compose.config-hash vs `docker compose config --hash`",
        "" if same else "made from an older version of the file: `docker compose up -d` recreates it",
    )  # fmt: skip
