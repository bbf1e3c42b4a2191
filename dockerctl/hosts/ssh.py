"""A machine reached over ssh: the engine's own kernel, read where the engine runs.

Commands go through the `ssh` binary (the operator's own config, keys and agent apply), multiplexed
over one master connection so that reading twenty cgroup files costs one handshake. `config` (an
ssh_config file, e.g. from DOCKERCTL_SSH_CONFIG) is passed with -F. A host that does not answer is a
KernelUnreachable error, never a missing file.

The master's control socket lives in dockerctl's private runtime directory (`<state>/run/ssh`, root's
and 0700, refused when another user made it first), never in the shared temporary directory: whoever
can put a socket at the ControlPath answers every kernel read. A socket path that would not fit a unix
socket address turns multiplexing off (one handshake per command) rather than failing.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Sequence
from urllib.parse import urlsplit

from dockerctl.errors import InvalidInput
from dockerctl.hosts.base import Completed, Host, KernelUnreachable
from dockerctl.hosts.local import run_local
from dockerctl.hosts.state import runtime_dir

SSH_UNREACHABLE = 255  # ssh's own exit code for "could not connect"
CONTROL_DIR = "ssh"  # under the runtime directory: the masters' control sockets
# a unix socket address holds 107 bytes and a NUL (sun_path[108]); ssh binds the master at
# "<ControlPath>.<16 random characters>" and renames it into place, so the path itself gets 17 fewer
SOCKET_PATH_MAX = 107 - 17


def parse_ssh_url(url: str) -> tuple[str | None, str, int | None]:
    """ssh://[USER@]HOST[:PORT] → (user, host, port)."""
    parts = urlsplit(url)
    if parts.scheme != "ssh" or not parts.hostname:
        raise InvalidInput(f"expected ssh://[USER@]HOST[:PORT], got {url!r}", where="-H/--host")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"the port in {url!r} is not a number", where="-H/--host") from None
    if parts.path not in ("", "/"):
        raise InvalidInput(f"{url!r} has a path; give ssh://[USER@]HOST[:PORT]", where="-H/--host")
    return parts.username, parts.hostname, port


class SshHost(Host):
    kind = "ssh"

    def __init__(self, url: str, *, config: str | None = None, connect_timeout: int = 5) -> None:
        super().__init__(url)
        self.user, self.address, self.port = parse_ssh_url(url)
        self.config = config
        self.connect_timeout = connect_timeout
        self._digest = hashlib.sha256(f"{url}|{config}".encode()).hexdigest()[:12]
        self._control: str | None = None  # the control socket's path, once the runtime dir is checked
        self._checked = False

    def control_path(self) -> str | None:
        """The master's control socket: `<state>/run/ssh/<pid>-<digest>` in the private runtime directory
        (made and checked on first use; StateUnwritable when another user owns or can enter it). None when
        that path is too long for a unix socket: then no multiplexing."""
        if not self._checked:
            path = os.path.join(runtime_dir(CONTROL_DIR), f"{os.getpid()}-{self._digest}")
            self._control = path if len(os.fsencode(path)) <= SOCKET_PATH_MAX else None
            self._checked = True
        return self._control

    def ssh_argv(self) -> list[str]:
        argv = ["ssh"]
        if self.config:
            argv += ["-F", self.config]
        argv += ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={self.connect_timeout}"]
        control = self.control_path()
        if control is None:  # the state directory's path is too long for a socket: one connection each
            argv += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
        else:
            argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control}", "-o", "ControlPersist=60"]
        if self.user:
            argv += ["-l", self.user]
        if self.port:
            argv += ["-p", str(self.port)]
        return argv

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        argv = tuple(argv)
        done = run_local(
            [*self.ssh_argv(), "--", self.address, shlex.join(argv)],
            timeout=timeout + self.connect_timeout,
            stdin=stdin,
        )
        if done.returncode is None or (done.returncode == SSH_UNREACHABLE and _ssh_said_so(done.stderr)):
            raise KernelUnreachable(
                f"cannot reach {self.name} over ssh to read its kernel: {done.stderr.strip() or 'no answer'}",
                hint="check that `ssh` to it works without a password prompt (keys, known_hosts)",
            )
        return Completed(argv, done.returncode, done.stdout, done.stderr)

    def close(self) -> None:
        if self._control is not None and os.path.exists(self._control):
            run_local([*self.ssh_argv(), "-O", "exit", self.address], timeout=5)


def _ssh_said_so(stderr: str) -> bool:
    text = stderr.lower()
    return any(
        s in text
        for s in (
            "connection refused",
            "connection timed out",
            "no route to host",
            "could not resolve",
            "permission denied",
            "host key verification failed",
            "connection closed",
            "network is unreachable",
            "operation timed out",
            "kex_exchange_identification",
        )
    )
