"""Every error dockerctl raises on purpose derives from DockerctlError, so the CLI turns each into one
sentence and a documented exit code (never a traceback) and callers can catch them in one place."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import dockerctl
from dockerctl.errors import DockerctlError, ExitCode


def _modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages(dockerctl.__path__, "dockerctl.")
        if not m.name.endswith("__main__")
    ]


def test_every_exception_class_of_dockerctl_derives_from_the_root() -> None:
    outside = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            # errors, not signals: Interrupted is a BaseException like KeyboardInterrupt, so that no
            # `except DockerctlError` handler can swallow a Ctrl-C
            ours = inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == name
            # a failed test assertion is pytest's AssertionError, never a CLI error: the testing helpers' own
            test_failure = ours and name.startswith("dockerctl.testing.") and issubclass(obj, AssertionError)
            if ours and not issubclass(obj, DockerctlError) and not test_failure:
                outside.append(f"{name}.{attr}")
    assert not outside, outside


def test_reading_errors_have_their_exit_codes() -> None:
    from dockerctl.observe.cgroup import CgroupNotFound
    from dockerctl.observe.devices import DeviceError
    from dockerctl.observe.iproute import CommandFailed

    assert CgroupNotFound("x").exit_code is ExitCode.KERNEL_UNREACHABLE
    assert CommandFailed("x").exit_code is ExitCode.KERNEL_UNREACHABLE
    assert DeviceError("x").exit_code is ExitCode.USAGE
