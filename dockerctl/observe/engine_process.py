"""Which process on a host is the engine dockerctl talks to — asked of the engine's socket, never guessed
from the process list: any local user can start a program named `dockerd` with any flags.

The peer of a connection to the socket (SO_PEERCRED) is the process that listens on it. Under systemd's
socket activation that is systemd (pid 1), which made the socket and handed it to `dockerd -H fd://`; then
the engine is the `dockerd` that holds the very socket that listens at that path (its inode, from
/proc/net/unix, among its open files). Either way it must run as root, in the pid namespace the reader is in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dockerctl.hosts import Host

# run by the host's python3 (a lab host's through its Host; a remote one over ssh): the socket's peer, or
# under socket activation the dockerd holding the listening socket; one JSON line either way
_PEER = r"""import json, os, socket, struct, sys
path = sys.argv[1]
def argv0(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""
def facts(pid, via):
    try:
        with open(f"/proc/{pid}/status") as f:
            uid = next(int(l.split()[1]) for l in f if l.startswith("Uid:"))
        same = os.readlink(f"/proc/{pid}/ns/pid") == os.readlink("/proc/self/ns/pid")
    except (OSError, StopIteration, ValueError) as exc:
        return {"error": f"process {pid} cannot be read: {exc}"}
    return {"pid": pid, "uid": uid, "same_pidns": same, "argv0": argv0(pid), "via": via}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(path)
    pid, uid, gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
except OSError as exc:
    print(json.dumps({"error": f"cannot connect to {path}: {exc}"})); sys.exit(0)
finally:
    s.close()
if pid > 0 and os.path.basename(argv0(pid)) == "dockerd":
    print(json.dumps(facts(pid, "SO_PEERCRED"))); sys.exit(0)
inodes = set()
real = os.path.realpath(path)
with open("/proc/net/unix") as f:
    for line in f.readlines()[1:]:
        parts = line.split()
        if len(parts) >= 8 and parts[5] == "01" and os.path.realpath(parts[7]) == real:
            inodes.add(f"socket:[{parts[6]}]")
held = []
for entry in os.listdir("/proc"):
    if not entry.isdigit() or os.path.basename(argv0(entry)) != "dockerd":
        continue
    try:
        fds = os.listdir(f"/proc/{entry}/fd")
    except OSError:
        continue
    for fd in fds:
        try:
            if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                held.append(int(entry)); break
        except OSError:
            continue
if len(held) == 1:
    print(json.dumps(facts(held[0], f"holds the socket that process {pid} listens on")))
else:
    print(json.dumps({"error": f"the socket's peer is process {pid} ({argv0(pid) or 'unknown'}), and "
                               f"{len(held)} dockerd processes hold its listening socket"}))
"""


@dataclass(frozen=True)
class EngineProcess:
    """The engine's dockerd as its socket names it."""

    pid: int
    uid: int
    same_pidns: bool
    argv0: str
    via: str  # how it was found: "SO_PEERCRED", or the socket it holds

    def refused(self) -> str:
        """Why this process is not to be trusted as the engine ('' when it is)."""
        if self.uid != 0:
            return f"process {self.pid} answering on the engine's socket runs as uid {self.uid}, not root"
        if not self.same_pidns:
            return f"process {self.pid} answering on the engine's socket is in another pid namespace"
        if not self.argv0.endswith("dockerd"):
            return f"process {self.pid} answering on the engine's socket is {self.argv0!r}, not dockerd"
        return ""


def socket_path(url: str) -> str:
    """The engine's unix socket on its own host: unix://PATH's path; over ssh the remote default."""
    if url.startswith("unix://"):
        return url[len("unix://") :]
    return "/var/run/docker.sock"  # ssh://: docker-py runs `docker system dial-stdio` there, its default


def parse_peer(text: str) -> EngineProcess | str:
    """The script's JSON line → the process, or why it could not be named."""
    try:
        got = json.loads(text.strip().splitlines()[-1]) if text.strip() else {}
    except ValueError:
        got = {}
    if "pid" not in got:
        return str(got.get("error") or f"the engine's process could not be asked: {text.strip()[:160]!r}")
    return EngineProcess(
        int(got["pid"]), int(got["uid"]), bool(got["same_pidns"]), str(got["argv0"]), str(got["via"])
    )


def engine_process(host: Host, url: str) -> EngineProcess | str:
    """The dockerd answering at `url`'s socket on `host`, or why it could not be named (a string)."""
    done = host.run(["python3", "-c", _PEER, socket_path(url)], timeout=30)
    if not done.ok:
        return f"the engine's process could not be asked on {host.name}: {done.output.strip()[:160]}"
    found = parse_peer(done.stdout)
    if isinstance(found, EngineProcess) and found.refused():
        return found.refused()
    return found
