"""The limit flags `run` and `update` share, declared once, with `docker run`'s names and meanings."""

from __future__ import annotations

from typing import Annotated

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
