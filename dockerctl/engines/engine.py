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
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import docker

from dockerctl.engines.client import connect, engine_url
from dockerctl.errors import InvalidInput
from dockerctl.hosts import Host, LocalHost, SshHost, UnreachableHost, state
from dockerctl.hosts.paths import write_atomic

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


def _real_ssh(wrapper_dir: str) -> str:
    """The `ssh` the wrapper runs: the first on PATH that is not the wrapper itself."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(d, "ssh")
        if d and os.path.realpath(d) != os.path.realpath(wrapper_dir) and os.access(candidate, os.X_OK):
            return candidate
    return "/usr/bin/ssh"


def _ssh_wrapper(config: str) -> str:
    """docker-py's ssh transport runs `ssh` from PATH with no way to add options: a wrapper that adds
    `-F CONFIG`, first on this process's PATH, lets the engine connection use the same config.

    The wrapper lives in dockerctl's private runtime directory (root-owned, 0700, checked before use):
    a directory first on root's PATH that another local user could make or write would run their
    programs as root — for ssh and for every later `ip`, `nsenter` or `mount` looked up there."""
    directory = str(state.runtime_dir("ssh-wrapper"))
    text = f'#!/bin/sh\nexec {shlex.quote(_real_ssh(directory))} -F "${SSH_CONFIG_ENV}" "$@"\n'
    script = Path(directory) / "ssh"
    try:
        current = script.read_text() if not script.is_symlink() else ""
    except OSError:
        current = ""
    if current != text:
        write_atomic(script, text, mode=0o700)
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d != directory]
    os.environ["PATH"] = os.pathsep.join([directory, *path])
    os.environ[SSH_CONFIG_ENV] = config
    return directory


VM_ALIAS_PREFIX = "dctl-vm-"  # ssh://root@dctl-vm-NAME: a VM host dockerctl booted (fabric/vm.py)


def vm_ssh_path() -> str:
    """The ssh_config holding a Host block per VM that is up (written by fabric/vm.py)."""
    return str(state.folder(state.VM) / "ssh_config")


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
