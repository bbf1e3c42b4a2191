from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from dockerctl.apply.containers import get
from dockerctl.apply.copy import container_stat, copy_from_container, copy_to_container, split_ref, tree_size
from dockerctl.cli import render
from dockerctl.cli._context import engine
from dockerctl.cli.output import report
from dockerctl.errors import InvalidInput


@report
def cp(
    ctx: typer.Context,
    src: str = typer.Argument(..., help="HOST_PATH or CONTAINER:PATH"),
    dst: str = typer.Argument(..., help="HOST_PATH or CONTAINER:PATH"),
    json_out: bool = False,
) -> None:
    """Copy files between the host and a container, like `docker cp` (seed S6), streamed both ways so
    memory stays bounded for any size; a progress bar shows large copies on a terminal.

    Examples:

      dockerctl cp ./site.tar web:/srv/

      dockerctl cp web:/var/log ./logs
    """
    (src_c, src_path), (dst_c, dst_path) = split_ref(src), split_ref(dst)
    if (src_c is None) == (dst_c is None):
        raise InvalidInput("exactly one of SRC and DST must be CONTAINER:PATH", where="SRC/DST")
    with engine(ctx) as eng:
        container = get(eng.client, src_c or dst_c or "")
        if src_c is None:
            total: int | None = tree_size(Path(src_path)) if Path(src_path).exists() else None
        else:
            st = container_stat(eng.client, container, src_path)
            total = st.size if st is not None and not st.is_dir else None
        bar = Progress(
            *Progress.get_default_columns()[:1],
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=render.err,
            transient=True,
            disable=not render.err.is_terminal,
        )
        moved = 0

        def advance(n: int) -> None:
            nonlocal moved
            moved += n
            bar.update(task, advance=n)

        with bar:
            task = bar.add_task(f"{src} → {dst}", total=total)
            if src_c is None:
                written = copy_to_container(eng.client, container, Path(src_path), dst_path, advance)
                where = f"{container.name}:{written}"
            else:
                where = str(copy_from_container(eng.client, container, src_path, Path(dst_path), advance))
    render.say(
        json_out,
        {"source": src, "destination": where, "bytes_streamed": moved},
        f"copied {src} → {where} ({moved} bytes streamed)",
    )
