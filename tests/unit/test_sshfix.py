"""docker-py's ssh connection close, once patched, treats an ssh process that already exited as closed
(docker/docker-py#3218) instead of failing the call whose output was already read."""

from __future__ import annotations

import subprocess

from docker.transport import sshconn

from dockerctl.engines import sshfix


def _exited_socket() -> sshconn.SSHSocket:
    sock = sshconn.SSHSocket("nobody@127.0.0.1")  # nothing is reached: only its close is exercised
    sock.proc = subprocess.Popen(["true"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sock.proc.wait(timeout=30)  # the ssh process is gone, as after an exec's stream ended
    return sock


def test_closing_a_connection_whose_ssh_process_exited_does_not_fail() -> None:
    sshfix.patch()
    sshfix.patch()  # once: a second patch does not wrap the close again
    assert getattr(sshconn.SSHSocket.close, "__dockerctl_tolerant__", False)
    sock = _exited_socket()
    sock.close()
    assert sock.proc.stdin.closed
    assert sock.proc.poll() == 0
