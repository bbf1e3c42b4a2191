"""create_and_start calls the low-level create with what docker-py's containers.create would send: this
holds docker-py's private _create_container_args to that (a docker-py upgrade that moves it fails here)."""

from __future__ import annotations

import docker

from dockerctl.apply.containers import _create_args


def test_run_style_arguments_become_the_config_and_host_config_the_engine_takes() -> None:
    client = docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41")  # nothing is reached
    args = _create_args(
        client,
        image="dockerctl/base:latest",
        command=None,
        name="lab-c0",
        labels={"io.dockerctl.lab": "lab"},
        detach=True,
        mem_limit="64m",
        memswap_limit="128m",
        cpu_shares=512,
        network="bridge",
    )
    assert args["image"] == "dockerctl/base:latest"
    assert args["name"] == "lab-c0"
    assert args["labels"] == {"io.dockerctl.lab": "lab"}
    hc = args["host_config"]
    assert (hc["Memory"], hc["MemorySwap"], hc["CpuShares"], hc["NetworkMode"]) == (
        64 * 1024 * 1024,
        128 * 1024 * 1024,
        512,
        "bridge",
    )
    assert "mem_limit" not in args and "network" not in args
