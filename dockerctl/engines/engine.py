"""`Engine`: a name, a docker client and its `Host` — passed everywhere a bare client went before.

The URL decides where the kernel is read:
- `unix://…` (or none): this machine;
- `ssh://[USER@]HOST[:PORT]`: that machine, over ssh (docker-py runs the `ssh` binary for the API, and
  dockerctl's readers use the same binary, so the operator's keys and config apply to both);
- `tcp://…`, `http(s)://…`: nowhere — the engine answers, but nothing here can read its kernel, so
  every kernel check says so instead of reading this machine's kernel by mistake.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field

import docker

from dockerctl.engines.client import connect, engine_url
from dockerctl.errors import InvalidInput
from dockerctl.hosts import Host, LocalHost, SshHost, UnreachableHost
from dockerctl.hosts.paths import state_dir

SSH_CONFIG_ENV = "DOCKERCTL_SSH_CONFIG"


@dataclass
class Engine:
    name: str
    client: docker.DockerClient
    host: Host
    url: str
    info_cache: dict[str, object] = field(default_factory=dict, repr=False)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self.host.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


SCHEMES = ("unix://", "ssh://", "tcp://", "http://", "https://", "npipe://")


def check_url(url: str) -> str:
    """An engine URL docker understands, or a usage error naming -H with the forms it takes."""
    if not url.startswith(SCHEMES):
        raise InvalidInput(
            f"{url!r} is not an engine URL: use unix:///path/to/docker.sock, ssh://[USER@]HOST[:PORT] "
            "or tcp://HOST:PORT",
            where="-H/--host",
        )
    return url


def host_for(url: str, *, ssh_config: str | None = None) -> Host:
    """The host whose kernel an engine at `url` runs its containers on."""
    if url.startswith("unix://") or url.startswith("npipe://"):
        return LocalHost()
    if url.startswith("ssh://"):
        return SshHost(url, config=ssh_config)
    return UnreachableHost(
        url,
        f"the engine at {url} is reached over the network only: dockerctl cannot read its kernel from "
        "here, so cgroups, namespaces and mounts cannot be verified; connect with "
        "-H ssh://USER@HOST so the kernel is read on that machine",
    )


def _ssh_wrapper(config: str) -> str:
    """docker-py's ssh transport runs `ssh` from PATH with no way to add options: a wrapper that adds
    `-F CONFIG`, first on this process's PATH, lets the engine connection use the same config."""
    directory = os.path.join(tempfile.gettempdir(), f"dockerctl-ssh-wrapper-{os.getuid()}")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    script = os.path.join(directory, "ssh")
    real = "/usr/bin/ssh"
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d != directory and os.access(os.path.join(d, "ssh"), os.X_OK):
            real = os.path.join(d, "ssh")
            break
    text = f'#!/bin/sh\nexec {real} -F "${SSH_CONFIG_ENV}" "$@"\n'
    try:
        with open(script) as f:
            current = f.read()
    except OSError:
        current = ""
    if current != text:
        tmp = f"{script}.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, stat.S_IRWXU)
        os.replace(tmp, script)
    if directory not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = directory + os.pathsep + os.environ.get("PATH", "")
    os.environ[SSH_CONFIG_ENV] = config
    return directory


VM_ALIAS_PREFIX = "dctl-vm-"  # ssh://root@dctl-vm-NAME: a VM host dockerctl booted (fabric/vm.py)


def vm_ssh_path() -> str:
    """The ssh_config holding a Host block per VM that is up (written by fabric/vm.py)."""
    return str(state_dir() / "vm" / "ssh_config")


def vm_ssh_config(url: str) -> str | None:
    """For ssh://root@dctl-vm-NAME, the VMs' ssh_config (so `-H` with a VM's URL needs nothing else)."""
    if not url.startswith("ssh://"):
        return None
    host = url[len("ssh://") :].rsplit("@", 1)[-1].split(":", 1)[0].split("/", 1)[0]
    if host.startswith(VM_ALIAS_PREFIX) and os.path.exists(vm_ssh_path()):
        return vm_ssh_path()
    return None


def connect_engine(
    base_url: str | None = None, *, name: str | None = None, ssh_config: str | None = None
) -> Engine:
    """Connect to the engine at `base_url` (default DOCKER_HOST, then the local socket) with its host."""
    url = check_url(engine_url(base_url))
    ssh_config = ssh_config or vm_ssh_config(url) or os.environ.get(SSH_CONFIG_ENV) or None
    if url.startswith("ssh://") and ssh_config:
        _ssh_wrapper(ssh_config)
    host = host_for(url, ssh_config=ssh_config)
    client = connect(base_url if base_url is not None or url.startswith("ssh://") else None, url=url)
    return Engine(name or ("local" if host.local_network else url), client, host, url)


def local_engine(client: docker.DockerClient, name: str = "local") -> Engine:
    """An Engine for a client already connected to this machine's engine (library and test use)."""
    return Engine(name, client, LocalHost(), str(getattr(client, "dockerctl_url", engine_url())))
