"""Where commands run and files are read: this machine, a network namespace on it, a machine over ssh,
a captured file tree, or nowhere (an engine whose kernel cannot be reached from here).

Every kernel reader in `observe/` takes a `Host`; none touches `/proc`, `/sys` or `subprocess` itself.
"""

from dockerctl.hosts.base import Completed, Host, KernelUnreachable
from dockerctl.hosts.local import LocalHost
from dockerctl.hosts.netns import NetnsHost
from dockerctl.hosts.ssh import SshHost
from dockerctl.hosts.tree import TreeHost
from dockerctl.hosts.unreachable import UnreachableHost

__all__ = [
    "Completed",
    "Host",
    "KernelUnreachable",
    "LocalHost",
    "NetnsHost",
    "SshHost",
    "TreeHost",
    "UnreachableHost",
]
