"""Probes sent from inside a container's namespaces with this host's own tools, so they work on images
that have no shell, ping or nslookup: `nsenter --net=/proc/PID/ns/net busybox …` for names and packets,
a file created on a mount, reached component by component from /proc/PID/root without following the
container's links, for its read-only flag; a TCP connect for a published port."""

from __future__ import annotations

import json
import re
import secrets
import socket
from dataclasses import dataclass
from enum import StrEnum

from dockerctl.hosts import Host
from dockerctl.observe.mounts import parse_mountinfo

EMBEDDED_DNS = "127.0.0.11"  # the engine's resolver inside every user-defined network (seed C2)


@dataclass(frozen=True)
class Probe:
    ok: bool
    command: str
    output: str


def _busybox(host: Host, pid: int, argv: list[str], timeout: float = 10) -> Probe:
    done = host.nsenter(pid, ["busybox", *argv], timeout=timeout)
    command = f"nsenter --net=/proc/{pid}/ns/net busybox {' '.join(argv)} (on {host.name})"
    return Probe(bool(done.ok), command, done.output.strip())


def parse_nslookup(text: str) -> list[str]:
    """busybox nslookup's answer → the addresses it names (the server's own line is skipped)."""
    _, _, answer = text.partition("Name:")
    return [a for a in re.findall(r"Address(?: \d+)?:\s*([0-9a-fA-F.:]+)", answer) if a != EMBEDDED_DNS]


def resolve(host: Host, pid: int, name: str) -> tuple[list[str], Probe]:
    """Ask the container's embedded DNS for `name` (A records) from inside its network namespace."""
    probe = _busybox(host, pid, ["nslookup", "-type=a", name, EMBEDDED_DNS])
    addresses = [a for a in parse_nslookup(probe.output) if "." in a] if probe.ok else []
    return addresses, probe


def ping(host: Host, pid: int, address: str) -> Probe:
    return _busybox(host, pid, ["ping", "-c", "1", "-W", "1", address])


def netns_inode(host: Host, pid: int) -> str | None:
    """'net:[4026532…]' of a process: two processes share a network namespace when these are equal."""
    return host.read_link(f"/proc/{pid}/ns/net")


class WriteOutcome(StrEnum):
    REFUSED = "refused"  # the kernel said EROFS: the mount is read-only
    WRITTEN = "written"  # a new file was created on the mount (and removed again)
    UNKNOWN = "unknown"  # no verdict: the probe did not run, the path was not walkable, another error


@dataclass(frozen=True)
class MountWrite(Probe):
    """A write probe's result; `ok` (as for every Probe here) means the write was refused."""

    outcome: WriteOutcome


# Run by the host's own python3 with argv (pid, target, name) — never a shell, never a string built from
# input. A path under /proc/PID/root is not safe to hand to the kernel whole: an absolute symlink met on
# the way resolves against the *caller's* root (design/trust.md, "Paths into containers"), so a link a
# container planted would steer the write onto the host. Instead each component is opened alone with
# O_PATH|O_NOFOLLOW from the container's root; a symlink is read as text and resolved here, against the
# container's root, with `..` never climbing above it. The probe file is then created with
# O_CREAT|O_EXCL|O_NOFOLLOW relative to the directory reached, and removed by that same directory.
_WRITE = """import errno, json, os, stat, sys
pid, target, name = sys.argv[1], sys.argv[2], sys.argv[3]
PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


def say(outcome, **facts):
    print(json.dumps({"outcome": outcome, **facts}))
    sys.exit(0)


def parts(path):
    return [p for p in path.split("/") if p not in ("", ".")]


def walk(root):
    fds, names, todo, hops = [root], [], parts(target), 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            if len(fds) > 1:
                os.close(fds.pop())
                names.pop()
            continue
        fd = os.open(part, PATH_FLAGS, dir_fd=fds[-1])
        mode = os.fstat(fd).st_mode
        if stat.S_ISLNK(mode):
            os.close(fd)
            hops += 1
            if hops > 40:
                raise OSError(errno.ELOOP, "too many symbolic links", "/" + "/".join(names + [part]))
            link = os.readlink(part, dir_fd=fds[-1])
            if link.startswith("/"):
                while len(fds) > 1:
                    os.close(fds.pop())
                names = []
            todo = parts(link) + todo
            continue
        if not stat.S_ISDIR(mode):
            os.close(fd)
            raise OSError(errno.ENOTDIR, "not a directory", "/" + "/".join(names + [part]))
        fds.append(fd)
        names.append(part)
    return fds[-1], "/" + "/".join(names)


def mount_id(fd):
    try:
        with open(f"/proc/self/fdinfo/{fd}") as info:
            for line in info:
                if line.startswith("mnt_id:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def why(exc):
    return f"{errno.errorcode.get(exc.errno, exc.errno)}: {exc.strerror}"


if not pid.isdigit() or not target.startswith("/") or "/" in name or name in ("", ".", ".."):
    say("unknown", error="refused to probe: bad arguments")
try:
    root = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    here, reached = walk(root)
except OSError as exc:
    say("unknown", error=f"cannot walk to {target} in the container: {why(exc)}")
facts = {"reached": reached, "mnt_id": mount_id(here)}
try:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=here)
except OSError as exc:
    say("refused" if exc.errno == errno.EROFS else "unknown", error=why(exc), **facts)
try:
    os.write(fd, b"dockerctl write probe\\n")
finally:
    os.close(fd)
try:
    os.unlink(name, dir_fd=here)
except OSError as exc:
    say("written", error=f"the probe file stayed: {why(exc)}", **facts)
say("written", **facts)
"""


def write_refused(host: Host, pid: int, target: str) -> MountWrite:
    """Try to create a file on the mount at `target` as the container sees it; `ok` when the kernel
    refuses it as read-only. Safe against a container's symlinks (see `_WRITE`), and the verdict is
    about the real mount: the directory reached must lie on the mount the container's mountinfo shows
    there (its mount id, read from fdinfo), else no verdict is given. Any error but EROFS (a file, not a
    directory; a path that does not exist; no python3) is no verdict either, never "refused"."""
    name = f".dockerctl-probe-{secrets.token_hex(8)}"
    command = (
        f"python3 on {host.name}: create {target.rstrip('/')}/{name} (O_CREAT|O_EXCL|O_NOFOLLOW), "
        f"walking /proc/{pid}/root one component at a time, no link followed by the kernel"
    )
    done = host.run(["python3", "-c", _WRITE, str(pid), target, name], timeout=15)
    try:
        got = json.loads(done.stdout)
    except ValueError:
        got = None
    if not isinstance(got, dict):
        return MountWrite(False, command, f"the probe did not run: {done.output[:200]}", WriteOutcome.UNKNOWN)
    outcome, text = _judged(host, pid, got)
    return MountWrite(outcome is WriteOutcome.REFUSED, command, text, outcome)


def _judged(host: Host, pid: int, got: dict[str, object]) -> tuple[WriteOutcome, str]:
    """The probe's answer → (outcome, what happened). A write that landed on another mount than the one
    mounted at the path reached (a link replaced after mounting, a mount gone) says nothing about it."""
    try:
        outcome = WriteOutcome(str(got.get("outcome")))
    except ValueError:
        return WriteOutcome.UNKNOWN, f"the probe answered {str(got)[:200]}"
    error, reached = str(got.get("error") or ""), str(got.get("reached") or "")
    text = {
        WriteOutcome.REFUSED: f"the kernel refused the write ({error})",
        WriteOutcome.WRITTEN: f"a file was created; {error}" if error else "a file was created and removed",
        WriteOutcome.UNKNOWN: error,
    }[outcome]
    if outcome is WriteOutcome.UNKNOWN:
        return outcome, text
    mnt_id = got.get("mnt_id")
    mounts = {m.mount_id: m for m in parse_mountinfo(host.read_text(f"/proc/{pid}/mountinfo") or "")}
    mount = mounts.get(mnt_id) if isinstance(mnt_id, int) else None
    if mount is None or not _under(reached, mount.mount_point):
        where = f"mount {mnt_id} at {mount.mount_point if mount else '?'}"
        return WriteOutcome.UNKNOWN, f"{text} on {where}, which does not hold {reached}: no verdict"
    return outcome, f"{text} in {reached} (on mount {mnt_id}, mounted at {mount.mount_point})"


def _under(path: str, mount_point: str) -> bool:
    return mount_point == "/" or path == mount_point or path.startswith(mount_point.rstrip("/") + "/")


def tcp_answers(address: str, port: int, *, timeout: float = 2.0) -> Probe:
    """Connect to a published port on this machine. A port the engine publishes is accepted by its
    proxy even when nothing in the container listens; then the proxy closes at once — that is no answer."""
    command = f"TCP connect to {address}:{port}"
    try:
        with socket.create_connection((address, port), timeout=timeout) as s:
            s.settimeout(1.0)
            try:
                data = s.recv(64)
            except TimeoutError:
                return Probe(True, command, "connected; the connection stayed open")
            except OSError as exc:
                return Probe(False, command, f"connected, then {exc}")
            if data:
                return Probe(True, command, f"connected; received {data[:32]!r}")
            return Probe(False, command, "connected, then closed at once: nothing in the container answered")
    except OSError as exc:
        return Probe(False, command, str(exc))


# a TCP connect run by the host's own python3 (inside a simulated host's namespace, through its Host):
# connected or not, and the first bytes the server sends within `timeout`
_CONNECT = """import json, socket, sys
address, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    with socket.create_connection((address, port), timeout=timeout) as s:
        s.settimeout(timeout)
        try:
            answer = s.recv(64).decode(errors="replace").strip()
        except OSError:
            answer = ""
    print(json.dumps({"connected": True, "answer": answer}))
except OSError as exc:
    print(json.dumps({"connected": False, "error": str(exc)}))
"""


def tcp_connect(host: Host, address: str, port: int, *, timeout: float = 3.0) -> tuple[bool, str, str]:
    """Connect to address:port from `host` (a published port answers on the host its engine runs on, not
    on this machine when that is a lab host). → (connected, what was seen, the command)."""
    command = f"TCP connect to {address}:{port} on {host.name}"
    done = host.run(["python3", "-c", _CONNECT, address, str(port), str(timeout)], timeout=timeout + 10)
    try:
        got = json.loads(done.stdout)
    except ValueError:
        return False, f"the probe did not run: {done.output.strip()[:120]}", command
    if got.get("connected"):
        return True, f"connected; answered {got.get('answer', '')!r}", command
    return False, f"no connection: {got.get('error', '')}", command
