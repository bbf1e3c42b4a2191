"""dockerctl: apply container-course settings to a real Docker engine and prove them from the kernel."""

from dockerctl import _lazy_ssh

__version__ = "0.1.0"

_lazy_ssh.install()  # docker-py's paramiko import waits until an ssh:// engine is reached
