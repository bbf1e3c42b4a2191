"""The exporter under load (issue 24): 20 scrapers at once for 60 s while 50 containers start and go
(some exit or are removed between the two reads of a scrape). Every scrape answers 200 with every
metric family whole — parsed by prometheus_client's own parser, the families a scrape always has all
present — and the exporter's memory does not grow with the number of scrapes."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import docker
from prometheus_client.parser import text_string_to_metric_families

ALWAYS = {
    "container_memory_usage_bytes",
    "container_cpu_usage_seconds",
    "dockerctl_limit_holds",
    "dockerctl_containers_seen",
    "dockerctl_scrape_duration_seconds",
}
SCRAPERS, SECONDS, CHURN = 20, 60, 50


def _rss(pid: int) -> int:
    """VmRSS of the exporter, in bytes, from /proc."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def test_twenty_scrapers_and_a_container_churn(engine: docker.DockerClient, base_image: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/metrics"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockerctl", "exporter", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    made: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:  # loopback only
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        problems: list[str] = []
        scrapes = [0]
        lock = threading.Lock()
        stop = threading.Event()

        def scraper() -> None:
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(url, timeout=60) as r:  # loopback only
                        status, body = r.status, r.read().decode()
                    families = {f.name for f in text_string_to_metric_families(body)}
                except Exception as exc:
                    with lock:
                        problems.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    scrapes[0] += 1
                    if status != 200 or not families >= ALWAYS:
                        problems.append(f"status {status}, missing {sorted(ALWAYS - families)}")

        threads = [threading.Thread(target=scraper, daemon=True) for _ in range(SCRAPERS)]
        for t in threads:
            t.start()
        time.sleep(5)
        early = _rss(proc.pid)
        started = time.monotonic()
        for i in range(CHURN):  # start, let some exit by themselves, remove the rest mid-scrape
            c = engine.containers.run(
                base_image, ["sh", "-c", f"sleep {i % 3}"], detach=True, mem_limit="32m",
                labels={"dctl-test": "exporter-load"},
            )  # fmt: skip
            made.append(str(c.id))
            if i % 2:
                c.remove(force=True)
                made.pop()
        while time.monotonic() - started < SECONDS:
            time.sleep(1)
        stop.set()
        for t in threads:
            t.join(timeout=90)
        late = _rss(proc.pid)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        if problems:  # what the exporter printed of them
            proc.terminate()
            err = proc.communicate(timeout=30)[1]
            raise AssertionError(f"{len(problems)} bad scrapes, e.g. {problems[:3]}; exporter: {err[-4000:]}")
        assert scrapes[0] >= SCRAPERS  # every scraper got answers
        print(f"exporter RSS {early / 2**20:.1f} MiB → {late / 2**20:.1f} MiB over {scrapes[0]} scrapes")
        assert late - early < 32 * 2**20, (early, late, scrapes[0])  # flat: no growth with the scrapes
    finally:
        for cid in made:
            with contextlib.suppress(docker.errors.NotFound):
                engine.containers.get(cid).remove(force=True)
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
