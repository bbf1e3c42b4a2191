"""A machine reached over ssh: the engine's own kernel, read where the engine runs.

Commands go through the `ssh` binary (the operator's own config, keys and agent apply), multiplexed
over one master connection so that reading twenty cgroup files costs one handshake. `config` (an
ssh_config file, e.g. from DOCKERCTL_SSH_CONFIG) is passed with -F. A host that does not answer is a
KernelUnreachable error, never a missing file.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import tempfile
from collections.abc import Sequence
from urllib.parse import urlsplit

from dockerctl.errors import InvalidInput
from dockerctl.hosts.base import Completed, Host, KernelUnreachable
from dockerctl.hosts.local import run_local

SSH_UNREACHABLE = 255  # ssh's own exit code for "could not connect"


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
        digest = hashlib.sha256(f"{url}|{config}".encode()).hexdigest()[:12]
        self._control = os.path.join(tempfile.gettempdir(), f"dockerctl-ssh-{os.getpid()}-{digest}")

    def ssh_argv(self) -> list[str]:
        argv = ["ssh"]
        if self.config:
            argv += ["-F", self.config]
        argv += [
            "-o", "BatchMode=yes",
            "-o", f"ConnectTimeout={self.connect_timeout}",
            "-o", "ControlMaster=auto",
            "-o", f"ControlPath={self._control}",
            "-o", "ControlPersist=60",
        ]  # fmt: skip
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
        if os.path.exists(self._control):
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
