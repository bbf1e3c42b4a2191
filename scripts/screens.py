"""The pictures of the screens behind scripts/screens: real runs of `audit`, `top --once`, `compose verify`
and `limits`, recorded as SVG with rich (Console(record=True) + export_svg), and the topology of a small
lab drawn by `dockerctl graph`, into docs/screens/.

It makes what the screens show, from the local image dockerctl/base only (nothing is pulled), on an engine
of its own, so the screens show nothing but that: a lab `screens` with one simulated host (a network
namespace with its own dockerd, see docs/across-hosts.md) running a container with limits, and the compose
project of examples/compose/shop brought up on that host's engine. Everything is removed at the end (the
project, then the lab with its host: `down --volumes`), also on failure or Ctrl-C/SIGTERM.

    scripts/screens [--out DIR] [--width COLUMNS]
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.text import Text

HERE = Path(__file__).resolve().parent.parent
SHOP = HERE / "examples" / "compose" / "shop" / "compose.yaml"
SHOP_PROJECT = "dctl-shop"
LAB = "screens"
HOST = "scr"
ENGINE = f"unix:///run/dctl-{HOST}.sock"  # a lab host's engine; `-H` with it runs a command in its namespace
CONTAINER = f"{LAB}-web"
TOPOLOGY = HERE / "playbooks" / "networks.yaml"
PLAYBOOK = f"""version: 1
name: {LAB}
hosts: {{{HOST}: {{kind: simulated}}}}
containers:
  web: {{memory: 64M, cpus: 0.5, pids_limit: 50}}
"""


def dockerctl(args: Sequence[str], width: int, color: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m dockerctl ARGS` from this checkout, its colours kept (FORCE_COLOR) at this width; stdout
    is the screen, stderr (progress spinners, which a forced terminal would animate) is kept apart."""
    env = {**os.environ, "COLUMNS": str(width), "TERM": "xterm-256color"}
    if color:
        env["FORCE_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", *args],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def compose_argv() -> list[str]:
    """Docker Compose v2 as dockerctl finds it (the docker CLI plugin, a v2 docker-compose, PyPI's)."""
    from dockerctl.engines.compose_cli import find_compose

    found = find_compose()
    if found is None:
        raise SystemExit("scripts/screens: Docker Compose v2 is not here (scripts/setup installs it)")
    return list(found.argv)


def write_svg(out: Path, name: str, title: str, ansi: str, width: int) -> Path:
    """The recorded screen as SVG: rich's own export of what the command printed, colours included."""
    console = Console(
        record=True, width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    console.print(Text.from_ansi(ansi.rstrip("\n")), soft_wrap=True)
    target = out / f"{name}.svg"
    fd, tmp = tempfile.mkstemp(
        dir=out, prefix=f".{name}.", suffix=".svg"
    )  # same directory: replace is atomic
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(console.export_svg(title=title))
    os.chmod(tmp, 0o644)  # a file of the checkout, readable like the others (mkstemp makes it 0600)
    os.replace(tmp, target)
    return target


def screen(out: Path, name: str, args: list[str], width: int, ok_codes: tuple[int, ...] = (0, 1)) -> Path:
    done = dockerctl(args, width)
    if done.returncode not in ok_codes:
        raise SystemExit(
            f"scripts/screens: dockerctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return write_svg(out, name, "# dockerctl " + " ".join(args), done.stdout, width)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the finally below removes what was made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "docs" / "screens")
    parser.add_argument("--width", type=int, default=132, help="terminal columns of the recorded screens")
    opts = parser.parse_args(argv)
    out: Path = opts.out
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _stop)

    compose = compose_argv()
    on_host = {**os.environ, "DOCKER_HOST": ENGINE}
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="dockerctl-screens.") as work:
        playbook = Path(work) / f"{LAB}.yaml"
        playbook.write_text(PLAYBOOK, encoding="utf-8")
        try:
            made = dockerctl(["play", str(playbook), "--keep"], opts.width, color=False)
            if made.returncode != 0:
                raise SystemExit(f"scripts/screens: the lab did not come up:\n{made.stdout}{made.stderr}")
            subprocess.run(
                [*compose, "-f", str(SHOP), "up", "-d", "--pull", "never", "--quiet-pull"],
                env=on_host,
                capture_output=True,
                check=True,
                timeout=300,
            )
            engine = ["-H", ENGINE]
            written.append(screen(out, "audit", [*engine, "audit"], opts.width))
            written.append(screen(out, "top", [*engine, "top", "--once"], opts.width))
            written.append(
                screen(
                    out,
                    "compose-verify",
                    [*engine, "compose", "verify", "-f", str(SHOP.relative_to(HERE))],
                    opts.width,
                )
            )
            written.append(screen(out, "limits", [*engine, "limits", CONTAINER], opts.width))
            topology = out / "topology-networks.svg"
            drawn = dockerctl(
                ["graph", str(TOPOLOGY.relative_to(HERE)), "--out", str(topology)], opts.width, color=False
            )
            if drawn.returncode != 0:
                raise SystemExit(f"scripts/screens: graph failed:\n{drawn.stderr}")
            written.append(topology)
        finally:
            subprocess.run(
                [*compose, "-f", str(SHOP), "down", "-v", "-t", "0"],
                env=on_host,
                capture_output=True,
                check=False,
            )
            gone = dockerctl(["down", str(playbook), "--volumes"], opts.width, color=False)
            if gone.returncode != 0:
                print(
                    f"scripts/screens: down failed, run `dockerctl down --lab {LAB}`:\n{gone.stderr}",
                    file=sys.stderr,
                )
    for path in written:
        print(f"wrote {path.relative_to(HERE) if path.is_relative_to(HERE) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
