"""What dockerctl keeps on this machine, in one place: the state directory ($DOCKERCTL_STATE_DIR, or
/var/lib/dockerctl-state), every folder in it named here once, and `Records`, the one typed JSON store
every kind of record is kept in.

- Only this module asks where the state directory is (`state_dir`); every other module names a folder
  (`folder(ETCD)`) or a kind of record (a `Records`).
- Records are written whole (`paths.write_atomic`: a unique temporary, fsynced, renamed) and only in the
  checked state directory: root's, not writable by anyone else (`checked_state_dir`).
- A record that is there but cannot be read back is CorruptRecord naming its file — never "no record".
- `held(lab)` is the one answer to "what does this lab still hold on disk": every kind of record a lab
  can have registers itself here (a `Records` made with `lab=`), so `down` asks no store by name.

The folder and file names are those earlier versions wrote: records on disk from them still load.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from dockerctl.errors import InvalidInput, StateUnwritable
from dockerctl.hosts.paths import secure_dir, write_json
from dockerctl.hosts.records import CorruptRecord, read_record

STATE_ENV = "DOCKERCTL_STATE_DIR"  # where dockerctl keeps its records, locks and lab daemons' state
DEFAULT_STATE = "/var/lib/dockerctl-state"

# -- the folders under the state directory, each named once ------------------------------------------
LABS = "labs"  # what a lab did to an engine beyond its labelled resources: <lab>@<engine digest>.json
LAB_HOSTS = "labhosts"  # a lab's hosts: <lab>.json
SIM_HOSTS = "hosts"  # simulated hosts' engines: <host>/ (data-root, pid file, log)
NETNS = "netns"  # network namespaces dockerctl made: <name>.json
PLUGINS = "plugins"  # dockerctl's plugin processes: <driver>.json
LOGS = "logs"  # plugin logs, kept after `down` for reading: plugin-<driver>.log
ETCD = "etcd"  # a lab's etcd: <lab>/ (etcd.json, its data, pid file, log)
GLUSTER = "gluster"  # a lab's storage pool: <lab>/ (pool.json, volumes/<volume>.json, a directory per host)
VM = "vm"  # VM hosts: images/, run/<vm>/, the client key, ssh_config, known_hosts, the accel verdict
BENCH = "bench"  # `dockerctl bench`'s working directory
REQUESTED = "requested"  # what was asked per container (labels cannot change): <container id>.json
LOCKS = "locks"  # lab locks: <lab>.lock (flock), <lab>.holder
RUNTIME = "run"  # private (0700): wrappers, ssh control sockets, lab daemons' sockets
# a network model's records: a folder named as the model, <model>/<lab>/lab.json (fabric/model_records.py)

FOLDERS = (
    LABS,
    LAB_HOSTS,
    SIM_HOSTS,
    NETNS,
    PLUGINS,
    LOGS,
    ETCD,
    GLUSTER,
    VM,
    BENCH,
    REQUESTED,
    LOCKS,
    RUNTIME,
)


def state_dir() -> Path:
    """dockerctl's state directory on this machine ($DOCKERCTL_STATE_DIR, or /var/lib/dockerctl-state)."""
    return Path(os.environ.get(STATE_ENV, DEFAULT_STATE))


def same_state(theirs: str | None) -> bool:
    """Whether a process whose $DOCKERCTL_STATE_DIR is `theirs` (None or "": not set) keeps its state in
    this process's state directory (it is then this dockerctl's, not another's)."""
    return Path(theirs or DEFAULT_STATE) == state_dir()


def folder(name: str) -> Path:
    """Where a folder of the state directory is (to read: nothing is made)."""
    return state_dir() / name


def model_folder(model: str) -> str:
    """A network model's folder: its name, which must be none of the folders above."""
    if model in FOLDERS or not model.replace("-", "").isalnum():
        raise ValueError(f"a network model cannot keep its records in a folder named {model!r}")
    return model


def checked_state_dir() -> Path:
    """The state directory, made if missing, and refused when another user owns or can write it."""
    root = state_dir()
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateUnwritable(f"{root.parent} cannot be made ({exc.strerror})") from exc
    return secure_dir(root, private=False)


def made(name: str, *, private: bool = False) -> Path:
    """A folder of the state directory, made if missing and checked (ours, not writable by others; when
    `private`, not even enterable): where a record or a daemon's state may be written."""
    return secure_dir(checked_state_dir() / name, private=private)


def runtime_dir(*parts: str) -> Path:
    """A private directory under the state directory (`<state>/run/<parts…>`), root-owned and 0700 at every
    step: where wrappers, control sockets and lab daemons' sockets live — never a guessable path in /tmp."""
    path = made(RUNTIME, private=True)
    for part in parts:
        path = secure_dir(path / part)
    return path


def writable(name: str) -> Path:
    """A folder of the state directory, made and checked, and shown to be writable — or one sentence
    saying the state directory cannot be written."""
    root = state_dir()
    try:
        (root / name).mkdir(parents=True, exist_ok=True)
        path = made(name)
        # a unique name made with O_EXCL | O_NOFOLLOW: a symlink planted at a guessable name is never opened
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise StateUnwritable(
            f"the state directory {root} cannot be written ({exc.strerror}): dockerctl keeps its lab "
            "records and locks there",
            hint=f"make it writable, or point {STATE_ENV} at a directory that is",
        ) from None
    return path


# -- the one record store -----------------------------------------------------------------------------

R = TypeVar("R")


@dataclass(frozen=True)
class Held:
    """One record a lab holds: its kind and its file."""

    what: str
    path: Path


_KINDS: list[Records[Any]] = []  # every kind of record a lab can hold (those made with `lab=`)


class Records(Generic[R]):
    """One kind of record, each a JSON object in a file of its own under one folder:
    `<state>/<folder>/<name>` where `name` holds the key (`"{}.json"`; `"{}/lab.json"` for a record in a
    directory of its own, which `forget` removes whole). Typed: `parse` makes the record from the JSON
    object (a KeyError, TypeError or ValueError: not such a record), `dump` the JSON object from it.

    lab: which lab a record belongs to, from its key (`str`: the key is the lab) — or "field", the
    record's own "lab" field; such a kind is one `held(lab)` reports."""

    def __init__(
        self,
        what: str,
        folder_name: str,
        parse: Callable[[dict[str, Any]], R],
        dump: Callable[[R], dict[str, Any]],
        *,
        name: str = "{}.json",
        lab: Callable[[str], str] | str | None = None,
    ) -> None:
        self.what, self.folder, self.name = what, folder_name, name
        self._parse, self._dump, self._lab = parse, dump, lab
        self.whole_dir = "/" in name  # a directory per key
        if lab is not None:
            _KINDS.append(self)

    @property
    def root(self) -> Path:
        return folder(self.folder)

    def path(self, key: str) -> Path:
        """The record's file (whether or not it is there)."""
        if not key or "/" in key or key.startswith(".") or "\0" in key:
            raise InvalidInput(f"{key!r} cannot name a {self.what}: no '/', and not starting with '.'")
        return self.root / self.name.format(key)

    def dir(self, key: str) -> Path:
        """The key's own directory (a store with a directory per key)."""
        self.path(key)  # the key checked
        return self.root / key if self.whole_dir else self.root

    def save(self, key: str, record: R) -> None:
        """Written whole, in the checked state directory."""
        made(self.folder)
        write_json(self.path(key), self._dump(record))

    def load(self, key: str) -> R | None:
        """The record; None when there is none; CorruptRecord (naming the file) when it cannot be read
        back or is not such a record."""
        path = self.path(key)
        data = read_record(path)
        if data is None:
            return None
        if not isinstance(data, dict):
            raise CorruptRecord(path, f"not a {self.what}: a JSON {type(data).__name__}, not an object")
        try:
            return self._parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorruptRecord(path, f"not a {self.what}: {type(exc).__name__} {exc}") from None

    def forget(self, key: str) -> None:
        """The record removed (with its directory, for a store with a directory per key)."""
        if self.whole_dir:
            shutil.rmtree(self.dir(key), ignore_errors=True)
        else:
            self.path(key).unlink(missing_ok=True)

    def stored_keys(self) -> list[str]:
        """The keys of the records on disk, sorted."""
        root = self.root
        if not root.is_dir():
            return []
        if self.whole_dir:
            inside = self.name.split("/", 1)[1]
            return sorted(d.name for d in root.iterdir() if (d / inside).is_file())
        head, _, tail = self.name.partition("{}")
        return sorted(
            p.name[len(head) : len(p.name) - len(tail)]
            for p in root.glob(f"{head}*{tail}")
            if not p.name.startswith(".") and p.is_file()
        )

    def all(self) -> list[R]:
        """Every record that can be read back (one that cannot is left out: `load` says why)."""
        out = []
        for key in self.stored_keys():
            try:
                rec = self.load(key)
            except CorruptRecord:
                continue
            if rec is not None:
                out.append(rec)
        return out

    def held_by(self, lab: str) -> list[Held]:
        """The records of this kind that belong to `lab` (one that cannot be read: when its key says so)."""
        out = []
        for key in self.stored_keys():
            path = self.path(key)
            if self._lab == "field":
                try:
                    data = read_record(path)
                except CorruptRecord:
                    continue
                mine = isinstance(data, dict) and data.get("lab") == lab
            else:
                mine = callable(self._lab) and self._lab(key) == lab
            if mine:
                out.append(Held(self.what, path))
        return out


def held(lab: str) -> list[Held]:
    """Every record `lab` still holds on this machine, of every kind that registered (the stores of the
    modules imported so far: `down` imports all of them)."""
    return [h for kind in _KINDS for h in kind.held_by(lab)]
