"""An engine whose kernel cannot be reached from here (tcp://, an http proxy …): every read says so.

It never falls back to this machine's kernel: a wrong kernel read looks like a right answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from dockerctl.hosts.base import Completed, FileStat, Host, KernelUnreachable


class UnreachableHost(Host):
    kind = "unreachable"
    readable = False

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name)
        self.reason = reason

    def _refuse(self) -> NoReturn:
        raise KernelUnreachable(self.reason)

    def run(self, argv: Sequence[str], *, timeout: float = 10, stdin: str | None = None) -> Completed:
        self._refuse()

    def read_text(self, path: str) -> str | None:
        self._refuse()

    def read_link(self, path: str) -> str | None:
        self._refuse()

    def list_dir(self, path: str) -> list[str] | None:
        self._refuse()

    def exists(self, path: str) -> bool:
        self._refuse()

    def realpath(self, path: str) -> str:
        self._refuse()

    def stat(self, path: str) -> FileStat | None:
        self._refuse()

    def page_size(self) -> int:
        self._refuse()

    def cmdlines(self) -> dict[int, tuple[str, ...]]:
        self._refuse()
