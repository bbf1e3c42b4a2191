"""The engine's HostConfig read back as limits: what was asked of a container dockerctl did not make.
Plain values, not checked again: the engine took them."""

from __future__ import annotations

from typing import Any

from dockerctl.spec.fields import FIELDS, THROTTLE_KINDS
from dockerctl.spec.limit_values import DeviceRateValue, LimitValues


def limits_from_host_config(hc: dict[str, Any]) -> LimitValues:
    def devs(key: str) -> tuple[DeviceRateValue, ...]:
        return tuple(DeviceRateValue(path=d["Path"], rate=d["Rate"]) for d in hc.get(key) or [])

    def key(field: str) -> Any:
        return hc.get(FIELDS[field].host_config)

    nano = key("cpus") or 0
    if not nano and hc.get("CpuQuota") and hc.get("CpuQuota", 0) > 0:
        nano = hc["CpuQuota"] * 10**9 // (hc.get("CpuPeriod") or 100000)
    values: dict[str, Any] = {
        name: key(name) or None
        for name in ("memory", "cpu_shares", "cpuset_cpus", "pids_limit", "blkio_weight")
    }
    values["memory_swap"] = (key("memory_swap") or None) if key("memory") else None
    values["cpus"] = nano / 1e9 if nano else None
    values.update({kind: devs(FIELDS[kind].host_config) for kind in THROTTLE_KINDS})
    return LimitValues(**values)
