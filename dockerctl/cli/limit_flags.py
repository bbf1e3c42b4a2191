"""The limit flags `run` and `update` share, declared once, with `docker run`'s names and meanings."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

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

# the flags in the order --help lists them (the same for `run` and `update`)
FLAGS: dict[str, Any] = {
    "memory": Memory,
    "memory_swap": MemorySwap,
    "cpu_shares": CpuShares,
    "cpus": Cpus,
    "cpuset_cpus": CpusetCpus,
    "pids_limit": PidsLimit,
    "blkio_weight": BlkioWeight,
    "device_read_bps": DeviceReadBps,
    "device_write_bps": DeviceWriteBps,
    "device_read_iops": DeviceReadIops,
    "device_write_iops": DeviceWriteIops,
}

F = TypeVar("F", bound=Callable[..., None])


def limit_options(before: str) -> Callable[[F], F]:
    """Give a command the limit flags, placed before its parameter `before`. The command reads them from
    `ctx.params` (`limit_fields`), so its own body never names them."""

    def decorate(fn: F) -> F:
        own = inspect.signature(fn, eval_str=True)
        flags = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=a)
            for n, a in FLAGS.items()
        ]
        params: list[inspect.Parameter] = []
        for p in own.parameters.values():
            if p.name == before:
                params.extend(flags)
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))
        if len(params) == len(own.parameters):
            raise TypeError(f"{fn.__name__} has no parameter {before!r} to put the limit flags before")

        @functools.wraps(fn)
        def command(**kwargs: Any) -> None:
            for name in FLAGS:
                kwargs.pop(name, None)
            fn(**kwargs)

        command.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        return command  # type: ignore[return-value]

    return decorate
