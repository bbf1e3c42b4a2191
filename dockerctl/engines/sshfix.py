"""docker-py's ssh transport (use_ssh_client: one `ssh … docker system dial-stdio` per connection) raises
BrokenPipeError when it closes a connection whose ssh process has already exited — as happens after an
exec's output was read (docker/docker-py#3218, open). The exec has finished and its output is in hand;
only the clean-up fails, yet the caller sees the whole call fail. Seen here on VM hosts: a playbook's
ping check from a container on the VM errored at random.

`patch()` makes that close tolerate an ssh process that is gone: it is then closed already. Applied
when an ssh:// engine is connected (engines/client.py), once.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

_lock = threading.Lock()


def closing_exited_ssh_is_fine(original: Any) -> Any:
    """SSHSocket.close → the same close, where an ssh process that already exited counts as closed."""

    def close(self: Any) -> None:
        try:
            original(self)
        except (BrokenPipeError, ValueError):  # its stdin is gone (ValueError: the pipe file was closed)
            proc = getattr(self, "proc", None)
            if proc is not None:
                with contextlib.suppress(OSError, ValueError):
                    proc.stdin.close()
                with contextlib.suppress(OSError):
                    proc.terminate()

    close.__dockerctl_tolerant__ = True  # type: ignore[attr-defined]
    return close


def patch() -> None:
    from docker.transport import sshconn  # the real module (dockerctl._lazy_ssh loads it here)

    with _lock:
        cls = sshconn.SSHSocket
        if not getattr(cls.close, "__dockerctl_tolerant__", False):
            cls.close = closing_exited_ssh_is_fine(cls.close)
