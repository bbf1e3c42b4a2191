"""dockerctl for pytest: fixtures (engine, base image, labs) and assertions that read the kernel.

Installed with the package and registered as the pytest plugin `dockerctl` (entry point pytest11); the
plugin changes nothing (no environment variable, no testcontainers setting, no engine) until a test asks
for one of its fixtures.
"""

from dockerctl.testing.assertions import (
    assert_isolated,
    assert_limits,
    assert_mount,
    assert_namespaces,
    assert_reachable,
)
from dockerctl.testing.estate import assert_compose_holds, assert_no_findings
from dockerctl.testing.evidence import KernelAssertionError
from dockerctl.testing.kernel import (
    OomEvidence,
    assert_no_throttling,
    assert_not_oom_killed,
    assert_oom_killed,
    assert_pids_headroom,
)
from dockerctl.testing.testcontainers import apply_lab_network, with_limits

__all__ = [
    "KernelAssertionError",
    "OomEvidence",
    "apply_lab_network",
    "assert_compose_holds",
    "assert_isolated",
    "assert_limits",
    "assert_mount",
    "assert_namespaces",
    "assert_no_findings",
    "assert_no_throttling",
    "assert_not_oom_killed",
    "assert_oom_killed",
    "assert_pids_headroom",
    "assert_reachable",
    "with_limits",
]
