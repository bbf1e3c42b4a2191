"""The limit flags `run` and `update` share, declared once, with `docker run`'s names and meanings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dockerctl.errors import InvalidInput
from dockerctl.spec.units import parse_rate, parse_size, parse_swap

Memory = Annotated[str | None, typer.Option("--memory", "-m", help="Memory limit, e.g. 100M, 2g (seed R1).")]
MemorySwap = Annotated[
    str | None,
    typer.Option(
        "--memory-swap", help="Memory+swap limit; -1 unlimited; unset = 2 × --memory (seed R2, R3)."
    ),
]
CpuShares = Annotated[
    int | None,
    typer.Option("--cpu-shares", "-c", help="Relative CPU weight, 2–262144; default 1024 (seed R4)."),
]
Cpus = Annotated[float | None, typer.Option("--cpus", help="CPU quota in CPUs, e.g. 1.5.")]
CpusetCpus = Annotated[str | None, typer.Option("--cpuset-cpus", help="CPUs allowed, e.g. 0-1 or 0,2.")]
PidsLimit = Annotated[
    int | None, typer.Option("--pids-limit", help="Maximum number of processes; -1 unlimited.")
]
BlkioWeight = Annotated[int | None, typer.Option("--blkio-weight", help="Block-IO weight 10–1000 (seed R5).")]
DeviceReadBps = Annotated[
    list[str] | None,
    typer.Option("--device-read-bps", help="DEVICE:RATE, e.g. /dev/vda:10mb (repeatable, R6–R7)."),
]
DeviceWriteBps = Annotated[
    list[str] | None, typer.Option("--device-write-bps", help="DEVICE:RATE, e.g. /dev/vda:30MB (repeatable).")
]
DeviceReadIops = Annotated[
    list[str] | None, typer.Option("--device-read-iops", help="DEVICE:IOPS, e.g. /dev/vda:250 (repeatable).")
]
DeviceWriteIops = Annotated[
    list[str] | None, typer.Option("--device-write-iops", help="DEVICE:IOPS, e.g. /dev/vda:100 (repeatable).")
]


def _device_rates(values: list[str] | None, field: str, iops: bool) -> list[dict[str, Any]]:
    out = []
    for value in values or []:
        path, sep, rate_text = value.rpartition(":")
        if not sep or not path or not rate_text:
            raise InvalidInput(f"expected DEVICE:RATE (e.g. /dev/vda:30MB), got {value!r}", field=field)
        if not path.startswith("/"):
            raise InvalidInput(f"device {path!r} must be an absolute path such as /dev/vda", field=field)
        if iops:
            if not rate_text.isdigit() or int(rate_text) <= 0:
                raise InvalidInput(f"IO rate must be a positive whole number, got {rate_text!r}", field=field)
            rate = int(rate_text)
        else:
            rate = parse_rate(rate_text, field=field)
        out.append({"path": path, "rate": rate})
    return out


NAMES = (
    "memory",
    "memory_swap",
    "cpu_shares",
    "cpus",
    "cpuset_cpus",
    "pids_limit",
    "blkio_weight",
    "device_read_bps",
    "device_write_bps",
    "device_read_iops",
    "device_write_iops",
)


def collect(params: dict[str, Any]) -> dict[str, Any]:
    """The limit flags that were given (a command's ctx.params) → Limits fields; errors name the field."""
    given = {name: params.get(name) for name in NAMES}
    out: dict[str, Any] = {}
    if given["memory"] is not None:
        out["memory"] = parse_size(given["memory"], field="memory")
    if given["memory_swap"] is not None:
        out["memory_swap"] = parse_swap(given["memory_swap"], field="memory_swap")
    for name in ("cpu_shares", "cpus", "cpuset_cpus", "pids_limit", "blkio_weight"):
        if given[name] is not None:
            out[name] = given[name]
    for name in ("device_read_bps", "device_write_bps", "device_read_iops", "device_write_iops"):
        if given[name]:
            out[name] = _device_rates(given[name], name, iops=name.endswith("iops"))
    return out
