"""What a CI job checks about the containers it runs: the limits a service ships with are the ones the
kernel holds, a job that outgrows its memory is OOM-killed (not merely killed), and a compose stack
holds what its file asks. testcontainers runs the containers; dockerctl reads the kernel.

SERVICE_IMAGE: the image under test (any image your engine has or can pull; the default is the busybox
image dockerctl's own tests build locally)."""

import os
from pathlib import Path

from testcontainers.compose import DockerCompose
from testcontainers.core.container import DockerContainer

from dockerctl.testing import (
    assert_compose_holds,
    assert_limits,
    assert_no_throttling,
    assert_not_oom_killed,
    assert_oom_killed,
    assert_pids_headroom,
    with_limits,
)

IMAGE = os.environ.get("SERVICE_IMAGE", "dockerctl/base:latest")
STACK = Path(__file__).parent.parent / "stack"


def test_the_service_gets_the_limits_we_ship(dockerctl_evidence):
    service = DockerContainer(IMAGE).with_command("httpd -f -p 8080")
    with with_limits(service, memory="64M", cpus=0.5, pids_limit=50):
        assert_limits(service, memory="64M", cpus=0.5, pids_limit=50)
        assert_pids_headroom(service, at_least=40)
        assert_no_throttling(service, below=0.05)
        assert_not_oom_killed(service)


def test_a_memory_hungry_job_is_oom_killed(dockerctl_evidence):
    # `tail /dev/zero` keeps everything it reads: it outgrows any limit
    job = DockerContainer(IMAGE).with_command("tail /dev/zero")
    with with_limits(job, memory="16M", memory_swap="16M"):
        exit_code = job.get_wrapped_container().wait(timeout=120)["StatusCode"]
        assert exit_code == 137  # so would `docker kill` give: the kernel tells which it was
        assert_oom_killed(job)


def test_the_compose_stack_holds(dockerctl_evidence):
    with DockerCompose(STACK, compose_file_name="compose.yaml") as stack:
        report = assert_compose_holds(stack)
        assert {row.service for row in report.rows} >= {"web", "worker"}
