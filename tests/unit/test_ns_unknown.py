"""`ns`'s pair matrix (pure): an id not read (another user's /proc/<pid>/ns/* without root) is unknown,
never private; a kind the kernel does not have is left out."""

from __future__ import annotations

from dockerctl.checks.namespaces import pair_matrix
from dockerctl.observe.namespaces import NEEDS_ROOT


def test_unread_ids_are_unknown_not_private() -> None:
    ids = {
        "host": {"net": "net:[1]", "pid": "pid:[2]"},
        "web": {},  # nothing readable: not root
        "db": {"net": "net:[5]", "pid": "pid:[2]"},
    }
    rows = {(r["a"], r["b"]): r for r in pair_matrix(ids, ("net", "pid"))}
    assert rows[("host", "web")]["net"] == NEEDS_ROOT
    assert rows[("web", "db")]["pid"] == NEEDS_ROOT
    assert rows[("host", "db")] == {"a": "host", "b": "db", "net": "private", "pid": "shared"}


def test_kinds_the_kernel_lacks_stay_out() -> None:
    rows = pair_matrix({"a": {"net": "net:[1]"}, "b": {"net": "net:[1]"}}, ("net",))
    assert rows == [{"a": "a", "b": "b", "net": "shared"}]
