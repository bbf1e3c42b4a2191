"""dockerctl: check that what the Docker engine says it set — limits, namespaces, networks, mounts — is what the kernel enforces."""

from dockerctl import _lazy_ssh

__version__ = "0.2.0"

_lazy_ssh.install()  # docker-py's paramiko import waits until an ssh:// engine is reached
