"""docker-py imports paramiko (and with it invoke and unittest.mock) when `docker` is imported, for
ssh:// engines only: measured ~0.11 s of every dockerctl command's ~0.45–0.55 s start. This defers that
import until an ssh:// engine is actually reached.

`install()` (run by `dockerctl/__init__.py`, before anything imports docker) puts a stand-in module at
`docker.transport.sshconn`. docker-py binds its `SSHHTTPAdapter` name from there; the stand-in's class
loads the real module on first use and returns the real adapter, so an ssh:// engine works unchanged.
Nothing happens when docker was imported first (the real module is then already in place).
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

NAME = "docker.transport.sshconn"
_lock = threading.Lock()


def _real() -> types.ModuleType:
    """The real docker.transport.sshconn, imported once (the stand-in leaves sys.modules for it)."""
    with _lock:
        mod = sys.modules.get(NAME)
        if mod is None or getattr(mod, "_dockerctl_stand_in", False):
            sys.modules.pop(NAME, None)
            mod = importlib.import_module(NAME)
        return mod


class SSHHTTPAdapter:
    """Stands in for docker.transport.sshconn.SSHHTTPAdapter: constructing it builds the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real().SSHHTTPAdapter(*args, **kwargs)


def _getattr(name: str) -> Any:
    if name.startswith("__"):  # the import system's and tools' probes stay on the stand-in
        raise AttributeError(name)
    return getattr(_real(), name)


def install() -> None:
    if "docker" in sys.modules or NAME in sys.modules:
        return
    stand_in = types.ModuleType(NAME, "stand-in until an ssh:// engine is reached (dockerctl._lazy_ssh)")
    stand_in.__dict__.update(SSHHTTPAdapter=SSHHTTPAdapter, __getattr__=_getattr, _dockerctl_stand_in=True)
    sys.modules[NAME] = stand_in
