"""docker-py's ssh transport (paramiko) is imported only when an ssh:// engine is reached."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_the_cli_starts_without_paramiko() -> None:
    assert (
        _run(
            """
        import sys
        import dockerctl.cli.app
        print("paramiko" in sys.modules, "invoke" in sys.modules)
        """
        )
        == "False False"
    )


def test_an_ssh_engine_gets_the_real_adapter() -> None:
    # constructing the client reaches nothing (ssh runs on the first request); the adapter must be the
    # real one, with paramiko loaded for it
    out = _run(
        """
        import sys
        import dockerctl, docker
        client = docker.DockerClient(base_url="ssh://nobody@127.0.0.1:1", version="1.41", use_ssh_client=True)
        adapter = client.api._custom_adapter
        print(type(adapter).__module__, type(adapter).__name__, "paramiko" in sys.modules)
        """
    )
    assert out == "docker.transport.sshconn SSHHTTPAdapter True"
