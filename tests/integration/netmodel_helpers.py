"""What the flannel, calico and weave tests share: commands in a lab host's namespace and on its engine,
the plugin's own log of the engine's calls, an engine restarted under a running network (seed X1: the
plugin survives it, and the engine's replayed calls are answered), and doctor's reading of the model."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from dockerctl.fabric import labhosts, simhost

from .test_labs_across_hosts import STATE, cli


def in_ns(host: str, *argv: str) -> str:
    done = subprocess.run(["ip", "netns", "exec", host, *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def docker(host: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "-H", f"unix:///run/dctl-{host}.sock", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def address_of(host: str, container: str) -> str:
    done = docker(
        host, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def plugin_log(driver: str) -> Path:
    return STATE / "logs" / f"plugin-{driver}.log"


def calls_from(driver: str, host: str, since: int) -> list[str]:
    """The calls logged after line `since` that came from `host`'s engine (by its namespace's inode),
    each as "/Interface.Method -> status"."""
    inode = os.stat(f"/var/run/netns/{host}").st_ino
    out = []
    for line in plugin_log(driver).read_text().splitlines()[since:]:
        if line.endswith(f"netns {inode})"):
            out.append(line.split(" POST ", 1)[1].split(" (pid", 1)[0])
    return out


def log_length(driver: str) -> int:
    path = plugin_log(driver)
    return len(path.read_text().splitlines()) if path.exists() else 0


def restart_engine_and_replay(
    *, playbook: Path, driver: str, host: str, container: str, peer: str, peer_host: str
) -> None:
    """`host`'s engine crashes (SIGKILL) under a running network; `hosts up` starts it again. On
    re-activation the engine replays its calls — Activate, then the cleanup of the endpoint it lost —
    and the plugin answers each; the container started again gets an endpoint and reaches `peer`."""
    engine = labhosts.sim_engine(labhosts.find_host(host)[1])
    old_pid = engine.pid()
    assert old_pid is not None
    mark = log_length(driver)
    simhost.kill(engine)
    up = cli("hosts", "up", str(playbook))
    assert up.returncode == 0, up.stderr
    assert engine.pid() not in (None, old_pid)
    replayed = calls_from(driver, host, mark)
    for call in ("/Plugin.Activate", "/NetworkDriver.Leave", "/NetworkDriver.DeleteEndpoint",
                 "/IpamDriver.ReleaseAddress"):  # fmt: skip
        assert f"{call} -> 200" in replayed, replayed
    assert all(c.endswith("-> 200") for c in replayed), replayed

    mark = log_length(driver)
    started = docker(host, "start", container)
    assert started.returncode == 0, started.stderr
    again = calls_from(driver, host, mark)
    for call in ("/IpamDriver.RequestAddress", "/NetworkDriver.CreateEndpoint", "/NetworkDriver.Join"):
        assert f"{call} -> 200" in again, again
    ping = docker(host, "exec", container, "ping", "-c", "1", "-W", "2", address_of(peer_host, peer))
    assert ping.returncode == 0, ping.stdout + ping.stderr


def doctor_models(host: str) -> list[dict[str, Any]]:
    """doctor --host's reading of the network models in `host`'s kernel."""
    done = cli("doctor", "--lab-host", host, "--no-links", "--json")
    assert done.returncode == 0, done.stderr
    models = json.loads(done.stdout)["network_models"]
    assert models["read"], models
    return list(models["found"])
