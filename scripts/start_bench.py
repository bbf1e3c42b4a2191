"""How fast a command starts and an unchanged lab is re-applied (issue 38) — a benchmark behind
scripts/bench-start, never a pass/fail test: timings live here, the tests only say what is loaded.

Measured, each as a whole process, several runs after a warm-up, min / median / max of wall and CPU
(user + sys, from the kernel's accounting of the finished child):
  1. `dockerctl limits C` against `docker inspect C` on the same container (one the script makes from
     the local image dockerctl/base, with a memory limit), and the interpreter and imports alone;
  2. `dockerctl play LAB --keep` re-applied to an unchanged lab of N containers (one memory limit each):
     a no-op plan that only reads.
Everything it makes carries the lab label `bench-start` / `bench-start-lab` and is removed at the end,
also on failure or Ctrl-C.

    scripts/bench-start [--runs 7] [--containers 20] [--only limits|reapply] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import docker

from dockerctl.engines.labels import owned

PY = sys.executable
DOCKERCTL = [PY, "-m", "dockerctl"]  # the checkout's code, as `python -m dockerctl` runs it
LAB, PLAY_LAB = "bench-start", "bench-start-lab"
CONTAINER = "bench-start-limits"
IMAGE = "dockerctl/base:latest"
TARGETS = {"limits": 0.15, "re-apply": 0.3}  # seconds, wall median (issue 38)
# an installed dockerctl has its bytecode compiled: the warm-up run writes it here too, whatever the
# shell said (with PYTHONDONTWRITEBYTECODE every run would compile every module from source)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: Sequence[str], runs: int, cwd: Path) -> dict[str, dict[str, float]]:
    """argv run `runs` times after one warm-up → {"wall": …, "cpu": …} each {min, median, max} seconds."""
    walls: list[float] = []
    cpus: list[float] = []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, cwd=cwd, env=ENV, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):  # limits: 1 when a limit does not hold, still a full run
            raise SystemExit(f"{' '.join(argv[:5])} … exited {done.returncode}: {done.stderr[-600:]!r}")
        if i:  # the first run warms the caches and is not counted
            walls.append(wall)
            cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))

    def spread(xs: list[float]) -> dict[str, float]:
        return {"min": min(xs), "median": statistics.median(xs), "max": max(xs)}

    return {"wall": spread(walls), "cpu": spread(cpus)}


def line(what: str, r: dict[str, dict[str, float]], target: float | None = None) -> str:
    w, c = r["wall"], r["cpu"]
    verdict = ""
    if target is not None:
        verdict = f"  target ≤ {target:.2f} s: {'met' if w['median'] <= target else 'missed'}"
    return (
        f"{what:<44} wall {w['median']:.3f} s ({w['min']:.3f}–{w['max']:.3f})"
        f"  cpu {c['median']:.3f} s{verdict}"
    )


def remove_lab(client: docker.DockerClient, lab: str) -> None:
    for c in client.containers.list(all=True, filters={"label": f"io.dockerctl.lab={lab}"}):
        c.remove(force=True)
    for n in client.networks.list(filters={"label": f"io.dockerctl.lab={lab}"}):
        n.remove()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="counted runs of each command (after one warm-up)")
    ap.add_argument("--containers", type=int, default=20, help="containers in the re-applied lab")
    ap.add_argument("--json", type=Path, help="also write the figures here as JSON")
    ap.add_argument(
        "--only", choices=("limits", "reapply"), help="measure one part: `limits` (1) or the re-apply (2)"
    )
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[1]
    docker_cli = shutil.which("docker")
    client = docker.from_env()
    client.images.get(IMAGE)  # never pulled: `dockerctl image build-base` makes it
    work = Path(tempfile.mkdtemp(prefix="dockerctl-bench-start-"))
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        remove_lab(client, LAB)  # what a run that was killed left behind
        remove_lab(client, PLAY_LAB)
        n = args.runs
        results["python -c pass"] = timed([PY, "-c", "pass"], n, root)
        if args.only != "reapply":
            limits(client, docker_cli, n, root, results)
        if args.only != "limits":
            reapply(args.containers, work, n, root, results)
    finally:
        subprocess.run([*DOCKERCTL, "down", "--lab", PLAY_LAB], capture_output=True, cwd=root, check=False)
        remove_lab(client, PLAY_LAB)  # whatever `down` could not (a run cut short)
        remove_lab(client, LAB)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{platform.node()}: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; {args.runs} runs each")
    print(line("python -c pass (the interpreter alone)", results["python -c pass"]))
    if "limits" in results:
        print(line("imports of `limits` (no run)", results["imports of limits"]))
        print(line("dockerctl limits C", results["limits"], TARGETS["limits"]))
        print(line("dockerctl limits C --json", results["limits --json"]))
    if "docker inspect" in results:
        print(line("docker inspect C", results["docker inspect"]))
    if "re-apply" in results:
        print(
            line(
                f"re-apply of an unchanged {args.containers}-container lab",
                results["re-apply"],
                TARGETS["re-apply"],
            )
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def limits(
    client: docker.DockerClient,
    docker_cli: str | None,
    n: int,
    root: Path,
    results: dict[str, dict[str, dict[str, float]]],
) -> None:
    """1: `dockerctl limits C` (and its imports) against `docker inspect C`, on a container made here."""
    client.containers.run(
        IMAGE, name=CONTAINER, detach=True, mem_limit="64m", labels=owned(LAB, {"memory": 64 * 2**20})
    )
    results["imports of limits"] = timed(
        [PY, "-c", "import dockerctl.cli.app, dockerctl.cli.limits, dockerctl.ops.limits"], n, root
    )
    results["limits"] = timed([*DOCKERCTL, "limits", CONTAINER], n, root)
    results["limits --json"] = timed([*DOCKERCTL, "limits", CONTAINER, "--json"], n, root)
    if docker_cli:
        results["docker inspect"] = timed([docker_cli, "inspect", CONTAINER], n, root)


def reapply(
    containers: int, work: Path, n: int, root: Path, results: dict[str, dict[str, dict[str, float]]]
) -> None:
    """2: `play LAB --keep` re-applied to an unchanged lab of `containers` containers (all no-ops)."""
    pb = work / f"{PLAY_LAB}.yaml"
    pb.write_text(
        f"version: 1\nname: {PLAY_LAB}\ncontainers:\n"
        + "".join(f"  c{i}: {{memory: 64m}}\n" for i in range(containers)),
        encoding="utf-8",
    )
    play = [*DOCKERCTL, "play", str(pb), "--keep", "--json"]
    up = subprocess.run(play, capture_output=True, text=True, cwd=root, env=ENV, check=False)
    if up.returncode != 0:
        raise SystemExit(f"bringing the lab up failed: {up.stderr[-800:]}")
    results["re-apply"] = timed(play, n, root)
    plan = json.loads(
        subprocess.run(play, capture_output=True, text=True, cwd=root, env=ENV, check=True).stdout
    )
    changed = [c for c in plan["plan"] if c["action"] != "noop"]
    if changed:
        raise SystemExit(f"the re-apply was not a no-op: {changed[:3]}")


if __name__ == "__main__":
    main()
