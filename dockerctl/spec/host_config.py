"""The engine's HostConfig read back as Limits: what was asked of a container dockerctl did not make."""

from __future__ import annotations

from typing import Any

from dockerctl.spec.fields import FIELDS, THROTTLE_KINDS
from dockerctl.spec.models import DeviceRate, Limits


def limits_from_host_config(hc: dict[str, Any]) -> Limits:
    def devs(key: str) -> tuple[DeviceRate, ...]:
        return tuple(DeviceRate(path=d["Path"], rate=d["Rate"]) for d in hc.get(key) or [])

    nano = hc.get("NanoCpus") or 0
    if not nano and hc.get("CpuQuota") and hc.get("CpuQuota", 0) > 0:
        nano = hc["CpuQuota"] * 10**9 // (hc.get("CpuPeriod") or 100000)
    values: dict[str, Any] = {
        "memory": hc.get("Memory") or None,
        "memory_swap": (hc.get("MemorySwap") or None) if hc.get("Memory") else None,
        "cpu_shares": hc.get("CpuShares") or None,
        "cpus": nano / 1e9 if nano else None,
        "cpuset_cpus": hc.get("CpusetCpus") or None,
        "pids_limit": hc.get("PidsLimit") or None,
        "blkio_weight": hc.get("BlkioWeight") or None,
    }
    values.update({kind: devs(FIELDS[kind].host_config) for kind in THROTTLE_KINDS})
    return Limits.model_construct(**values)
