"""The playbook side of the bad-input corpus (issue 37), at unit level through the entry point
`dockerctl playbook validate` uses (spec/playbook.load_playbook): each case is a playbook's text and its
expected outcome — it reads, or InvalidInput whose `where` ends with FILE:LINE and whose message names the
field (or, for YAML-level refusals, says what is wrong). No traceback, no hang: each case is decided in
well under a second. The CLI-level corpus (exit codes, one line on stderr) is tests/e2e/test_bad_input_corpus.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.spec.playbook import load_playbook

H = "version: 1\nname: corpus\n"
C = "containers:\n  web:\n"
CASES: list[tuple[str, str]] = []


def c(body: str) -> str:
    """A playbook with one container `web` (on line 4) whose settings are `body`, from line 5."""
    return H + C + "".join(f"    {line}\n" for line in body.split("\n"))


def pad(text: str, size: int) -> str:
    """`text` with a comment line making it exactly `size` bytes (the issue's alias bombs' sizes)."""
    return text + "#" + "x" * (size - len(text.encode()) - 2) + "\n"


def _add(case: str, text: str) -> None:
    CASES.append((case, text))


# a billion-laughs file: nine levels of nine aliases (499 bytes with the header)
bomb9 = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)

# YAML level
_add(
    "merge-key",
    H + "x-base: &base\n  memory: 64M\n  cpus: 1\ncontainers:\n  web:\n    <<: *base\n    cpu_shares: 512\n",
)
_add(
    "merge-list",
    H
    + "x-a: &a {memory: 64M}\nx-b: &b {memory: 1X, pids_limit: 50}\ncontainers:\n  web:\n    <<: [*a, *b]\n",
)
_add("merge-bad-through", H + "x-a: &a {memory: 1X}\ncontainers:\n  web:\n    <<: *a\n")
_add("merge-explicit-wins", H + "x-a: &a {memory: 1X}\ncontainers:\n  web:\n    <<: *a\n    memory: 64M\n")
_add(
    "merge-later-list-loses",
    H + "x-a: &a {memory: 64M}\nx-b: &b {memory: 1X}\ncontainers:\n  web:\n    <<: [*a, *b]\n",
)
_add("merge-scalar", H + "x-a: &a 5\ncontainers:\n  web:\n    <<: *a\n")
_add("merge-list-of-scalars", H + "containers:\n  web:\n    <<: [1, 2]\n")
_add("merge-twice", H + "x-a: &a {memory: 64M}\ncontainers:\n  web:\n    <<: *a\n    <<: *a\n")
_add("merge-inline", H + "containers:\n  web:\n    <<: {memory: 64M}\n")
_add("alias-whole-container", H + "containers:\n  web: &w {memory: 64M}\n  api: *w\n")
_add("alias-bad-container", H + "containers:\n  web: &w {memory: 1X}\n  api: *w\n")
_add("alias-undefined", H + "containers:\n  web: *nothing\n")
_add("alias-recursive", H + "containers: &c\n  web: *c\n")
_add("anchor-twice", H + "x-a: &a 1\nx-b: &a 2\n")
_add(
    "alias-bomb-294",
    pad(
        "version: 1\nname: corpus\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        294,
    ),
)
_add("alias-bomb-499", pad(H + bomb9, 499))
_add("alias-too-many", H + "x-a: &a 1\nx-b: [" + ",".join(["*a"] * 1001) + "]\n")
_add("deep-flow", H + "x: " + "[" * 200 + "]" * 200 + "\n")
_add("deep-block", H + "".join(" " * i + f"k{i}:\n" for i in range(70)))
_add("deep-alias", H + "x-a: &a " + "[" * 40 + "1" + "]" * 40 + "\nx-b: " + "[" * 30 + "*a" + "]" * 30 + "\n")
_add("size", H + 'description: "' + "x" * 140000 + '"\n')
_add("volumes-null", H + 'volumes: {data:}\ncontainers:\n  web: {volumes: ["data:/d"]}\n')
_add("volumes-null-block", H + 'volumes:\n  data:\ncontainers:\n  web:\n    volumes: ["data:/d"]\n')
_add("container-null", H + "containers:\n  web:\n")
_add("networks-null", H + "networks:\n  front:\ncontainers:\n  web: {networks: [front]}\n")
_add("section-null", H + "containers:\n")
_add("expect-null", H + "expect:\n")
_add("expect-item-null", H + "expect:\n  -\n")
_add("tag-reset", H + "x-a: &a {memory: 64M}\ncontainers:\n  web:\n    <<: *a\n    memory: !reset 1X\n")
_add("tag-override", H + "containers:\n  web:\n    memory: !override 64M\n")
_add("tag-unknown", H + "containers:\n  web:\n    memory: !bytes 64M\n")
_add("tag-python", H + "containers:\n  web:\n    command: !!python/object/apply:os.system [id]\n")
_add("tag-python-name", H + "name2: !!python/name:os.system\n")
_add("tag-str", H + "containers:\n  web:\n    memory: !!str 64M\n")
_add("tag-int-bad", H + "containers:\n  web:\n    pids_limit: !!int lots\n")
_add("tag-set", H + "containers:\n  web:\n    networks: !!set {a, b}\n")
_add("tag-local-map", H + "containers: !lab\n  web: {}\n")
_add("two-docs", H + "---\nversion: 1\n")
_add("dup-key", H + "containers:\n  web: {}\n  web: {}\n")
_add("dup-top", H + "name: again\n")
_add("key-list", H + "containers:\n  [web]: {}\n")
_add("key-map", H + "containers:\n  {a: 1}: {}\n")
_add("key-bool", H + "containers:\n  web: {}\n  yes: {}\n")
_add("key-int", H + "containers:\n  80: {}\n")
_add("key-null", H + "containers:\n  ~: {}\n")
_add("not-mapping-list", "- version: 1\n")
_add("not-mapping-scalar", "hello\n")
_add("empty", "")
_add("tab-indent", H + "containers:\n\tweb: {}\n")
_add("unclosed-flow", H + "containers: {web: {}\n")
_add("unclosed-quote", H + 'description: "abc\n')
_add("bad-indent", H + "containers:\n  web: {}\n bad: 1\n")
_add("control-char", H + 'description: "a\x07b"\n')
_add("binary", H + "description: !!binary aGVsbG8=\n")
_add("timestamp-key", H + "2001-01-01: 1\n")
# sizes
_add("mem-29-digits", c("memory: 12345678901234567890123456789"))
_add("mem-29-digits-str", c('memory: "12345678901234567890123456789"'))
_add("mem-int64-max", c("memory: 9223372036854775807"))
_add("mem-int64-max-plus", c("memory: 9223372036854775808"))
_add("mem-negative-int", c("memory: -5"))
_add("mem-bool", c("memory: true"))
_add("mem-float", c("memory: 1.5e300"))
_add("mem-inf", c("memory: .inf"))
_add("mem-big-suffix", c("memory: 9999999p"))
_add("mem-exa", c("memory: 1e"))
_add("mem-ok", c("memory: 64M"))
_add("mem-ok-int", c("memory: 67108864"))
_add("mem-below-min", c("memory: 1k"))
_add("swap-29", c("memory: 64M\nmemory_swap: 99999999999999999999999999999"))
_add("swap-minus-one", c("memory: 64M\nmemory_swap: -1"))
_add("swap-minus-two", c("memory: 64M\nmemory_swap: -2"))
_add("pids-29", c("pids_limit: 12345678901234567890123456789"))
_add("pids-neg", c("pids_limit: -5"))
_add("pids-ok", c("pids_limit: 100"))
_add("shares-huge", c("cpu_shares: 99999999999999999999"))
_add("shares-low", c("cpu_shares: 1"))
# cpus
_add("cpus-inf", c("cpus: .inf"))
_add("cpus-neg-inf", c("cpus: -.inf"))
_add("cpus-nan", c("cpus: .nan"))
_add("cpus-1e300", c("cpus: 1e300"))
_add("cpus-99", c("cpus: 99"))
_add("cpus-zero", c("cpus: 0"))
_add("cpus-neg", c("cpus: -1"))
_add("cpus-text", c("cpus: many"))
_add("cpus-ok", c("cpus: 0.5"))
_add("cpus-tiny", c("cpus: 0.001"))
_add("cpus-bool", c("cpus: true"))
_add("cpus-vm-3", H + "hosts:\n  v1: {kind: vm, cpus: 2}\ncontainers:\n  web:\n    host: v1\n    cpus: 3\n")
_add(
    "cpus-vm-ok", H + "hosts:\n  v1: {kind: vm, cpus: 2}\ncontainers:\n  web:\n    host: v1\n    cpus: 1.5\n"
)
# cpuset
_add("cpuset-huge-range", c("cpuset_cpus: 0-99999999999"))
_add("cpuset-huge-one", c('cpuset_cpus: "99999999999999999999999999"'))
_add("cpuset-beyond-host", c('cpuset_cpus: "0-63"'))
_add("cpuset-8192", c('cpuset_cpus: "8192"'))
_add("cpuset-reversed", c("cpuset_cpus: 1-0"))
_add("cpuset-syntax", c("cpuset_cpus: 0-"))
_add("cpuset-letters", c("cpuset_cpus: all"))
_add("cpuset-ok", c('cpuset_cpus: "0"'))
_add("cpuset-ok-range", c("cpuset_cpus: 0-1"))
_add("cpuset-int", c("cpuset_cpus: 0"))
_add("cpuset-long-list", c('cpuset_cpus: "' + ",".join(["0"] * 3000) + '"'))
# blkio
_add("blkio-5", c("blkio_weight: 5"))
_add("blkio-2000", c("blkio_weight: 2000"))
_add("blkio-neg", c("blkio_weight: -10"))
_add("blkio-ok", c("blkio_weight: 500"))
_add("blkio-huge", c("blkio_weight: 99999999999999999999999"))
_add("blkio-text", c("blkio_weight: heavy"))
# devices
_add("dev-passwd", c('device_write_bps: ["/../../etc/passwd:10mb"]'))
_add("dev-dotdot", c('device_read_bps: ["/dev/../etc/shadow:1mb"]'))
_add("dev-etc", c('device_read_iops: ["/etc/passwd:10"]'))
_add("dev-relative", c('device_read_bps: ["vda:1mb"]'))
_add("dev-just-dev", c('device_read_bps: ["/dev:1mb"]'))
_add("dev-ok", c('device_write_bps: ["/dev/vda:30mb"]'))
_add("dev-ok-dict", c("device_write_bps: {/dev/vda: 30mb}"))
_add("dev-dict-passwd", c("device_write_bps: {/../../etc/passwd: 30mb}"))
_add("dev-rate-29", c('device_write_bps: ["/dev/vda:99999999999999999999999999999"]'))
_add("dev-rate-int-29", c("device_write_bps: {/dev/vda: 99999999999999999999999999999}"))
_add("dev-iops-huge", c('device_write_iops: ["/dev/vda:99999999999999999999999999999"]'))
_add("dev-iops-zero", c('device_write_iops: ["/dev/vda:0"]'))
_add("dev-rate-neg", c('device_write_bps: ["/dev/vda:-5mb"]'))
_add("dev-no-rate", c('device_write_bps: ["/dev/vda"]'))
_add(
    "expect-device-passwd",
    H + "expect:\n  - {claim: R7, device_rate: {device: /../../etc/passwd, write_bps: 10MB}}\n",
)
_add("expect-device-rate-bad", H + "expect:\n  - {claim: R7, device_rate: {write_bps: lots}}\n")
_add("expect-device-iops-zero", H + "expect:\n  - {claim: R7, device_rate: {read_iops: 0}}\n")
# ports
_add("port-99999", c('publish: ["99999"]'))
_add("port-neg", c('publish: ["-80"]'))
_add("port-zero", c('publish: ["0"]'))
_add("port-host-99999", c('publish: ["99999:80"]'))
_add("port-text", c('publish: ["http"]'))
_add("port-proto", c('publish: ["80/sctp"]'))
_add("port-bad-ip", c('publish: ["1.2.3.999::80"]'))
_add("port-ok", c('publish: ["127.0.0.1::8080"]'))
_add("port-ok-plain", c('publish: ["8080"]'))
_add(
    "expect-published-99999",
    H + "containers:\n  web: {}\nexpect:\n  - {claim: O2, published: {container: web, port: 99999}}\n",
)
_add(
    "expect-published-neg",
    H + "containers:\n  web: {}\nexpect:\n  - {claim: O2, published: {container: web, port: -80}}\n",
)
_add(
    "expect-reach-port",
    H + "containers:\n  a: {}\n  b: {}\nexpect:\n  - {claim: C1, reachable: {from: a, to: b, port: 70000}}\n",
)
_add(
    "source-ip-port",
    H + "containers:\n  a: {}\n  b: {}\nexpect:\n  - {claim: X11, source_ip: {from: a, to: b, port: 0}}\n",
)
# subnets / addresses
_add("subnet-not", H + "networks:\n  front: {subnet: not-a-subnet}\n")
_add("subnet-all", H + "networks:\n  front: {subnet: 0.0.0.0/0}\n")
_add("subnet-host-bits", H + "networks:\n  front: {subnet: 172.31.5.1/24}\n")
_add("subnet-slash4", H + "networks:\n  front: {subnet: 16.0.0.0/4}\n")
_add("subnet-loopback", H + "networks:\n  front: {subnet: 127.0.0.0/8}\n")
_add("subnet-multicast", H + "networks:\n  front: {subnet: 224.0.0.0/8}\n")
_add("subnet-v6-all", H + 'networks:\n  front: {subnet: "::/0"}\n')
_add("subnet-int", H + "networks:\n  front: {subnet: 5}\n")
_add("subnet-ok", H + "networks:\n  front: {subnet: 172.31.5.0/24}\n")
_add("gateway-bad", H + "networks:\n  front: {subnet: 172.31.5.0/24, gateway: not-an-ip}\n")
_add("gateway-outside", H + "networks:\n  front: {subnet: 172.31.5.0/24, gateway: 10.0.0.1}\n")
_add("gateway-no-subnet", H + "networks:\n  front: {gateway: 10.0.0.1}\n")
_add("gateway-ok", H + "networks:\n  front: {subnet: 172.31.5.0/24, gateway: 172.31.5.1}\n")
_add("ip-range-bad", H + "networks:\n  front: {subnet: 172.31.5.0/24, ip_range: nope}\n")
_add("ip-range-outside", H + "networks:\n  front: {subnet: 172.31.5.0/24, ip_range: 10.0.0.0/25}\n")
_add("ip-range-ok", H + "networks:\n  front: {subnet: 172.31.5.0/24, ip_range: 172.31.5.128/25}\n")
_add(
    "container-ip-bad",
    H
    + "networks:\n  front: {subnet: 172.31.5.0/24}\ncontainers:\n  web: {networks: [front], ip: 172.31.5.999}\n",
)
_add("container-ip-text", H + 'containers:\n  web: {ip: "$(id)"}\n')
_add("switch-all", H + "hosts: {h1: {kind: simulated}}\nswitch: {subnet: 0.0.0.0/0}\n")
_add("host-address-bad", H + 'hosts:\n  h1: {kind: simulated, address: "1.2.3"}\n')
_add(
    "flannel-network-bad",
    H + "hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\nflannel: {network: not-a-subnet}\n",
)
_add(
    "calico-pool-all",
    H + "hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\ncalico: {pool: 0.0.0.0/0}\n",
)
# names
_add("name-semicolon", H + 'containers:\n  "a;$(id)": {}\n')
_add("name-newline", H + 'containers:\n  "a\\nb": {}\n')
_add("name-script", H + 'containers:\n  "<script>": {}\n')
_add("net-name-dollar", H + 'networks:\n  "n$(reboot)": {}\n')
_add("vol-name-space", H + 'volumes:\n  "my data": {}\n')
_add("service-name-semicolon", H + 'swarm: true\nservices:\n  "w;id": {}\n')
_add("image-name-script", H + 'images:\n  "<script>": {build: ./app}\n')
_add("policy-name-newline", H + 'policies:\n  "p\\n-A INPUT": {selector: {a: b}}\n')
_add("lab-name-semicolon", 'version: 1\nname: "lab;rm -rf /"\n')
_add("lab-name-newline", 'version: 1\nname: "lab\\n"\n')
_add("lab-name-upper", "version: 1\nname: Lab\n")
_add("image-ref-shell", H + 'containers:\n  web: {image: "dockerctl/base;$(id)"}\n')
_add("image-ref-newline", H + 'containers:\n  web: {image: "dockerctl/base\\n"}\n')
_add("image-ref-ok", H + "containers:\n  web: {image: dockerctl/base:latest}\n")
_add("service-image-shell", H + 'swarm: true\nservices:\n  web: {image: "a/b`id`"}\n')
_add("hostname-shell", c('hostname: "web;id"'))
_add("hostname-ok", c("hostname: web1"))
# ssh hosts
_add("ssh-proxycommand", H + 'hosts:\n  far: {kind: remote, url: "ssh://-oProxyCommand=id"}\n')
_add("ssh-user-dash", H + 'hosts:\n  far: {kind: remote, url: "ssh://-oProxyCommand=id@host"}\n')
_add("ssh-host-dash-user", H + 'hosts:\n  far: {kind: remote, url: "ssh://admin@-oProxyCommand=id"}\n')
_add("ssh-space", H + 'hosts:\n  far: {kind: remote, url: "ssh://admin@host -p 2"}\n')
_add("ssh-path", H + 'hosts:\n  far: {kind: remote, url: "ssh://admin@host/x;id"}\n')
_add("ssh-port", H + 'hosts:\n  far: {kind: remote, url: "ssh://admin@host:99999"}\n')
_add("ssh-ok", H + 'hosts:\n  far: {kind: remote, url: "ssh://admin@10.0.0.5"}\n')
_add("ssh-ok-port", H + 'hosts:\n  far: {kind: remote, url: "ssh://admin@build-1.example:2222"}\n')
_add("tcp-no-port", H + 'hosts:\n  far: {kind: remote, url: "tcp://10.0.0.5"}\n')
_add("tcp-ok", H + 'hosts:\n  far: {kind: remote, url: "tcp://10.0.0.5:2376"}\n')
_add("unix-relative", H + 'hosts:\n  far: {kind: remote, url: "unix://run/docker.sock"}\n')
_add("unix-ok", H + 'hosts:\n  far: {kind: remote, url: "unix:///run/docker.sock"}\n')
_add("http-scheme", H + 'hosts:\n  far: {kind: remote, url: "http://10.0.0.5"}\n')
# services / expectations
_add("service-cpu-inf", H + "swarm: true\nservices:\n  web: {limit_cpu: .inf}\n")
_add("service-cpu-99", H + "swarm: true\nservices:\n  web: {limit_cpu: 99}\n")
_add("service-reserve-nan", H + "swarm: true\nservices:\n  web: {reserve_cpu: .nan}\n")
_add(
    "service-memory-29",
    H + 'swarm: true\nservices:\n  web: {limit_memory: "99999999999999999999999999999"}\n',
)
_add("service-max-per-host", H + "swarm: true\nservices:\n  web: {max_per_host: 99999999999999999999}\n")
_add(
    "expect-limits-29",
    H
    + "containers:\n  web: {}\nexpect:\n  - {claim: R1, limits: {container: web, memory: 12345678901234567890123456789}}\n",
)
_add(
    "expect-limits-cpus-inf",
    H + "containers:\n  web: {}\nexpect:\n  - {claim: R1, limits: {container: web, cpus: .inf}}\n",
)
_add(
    "expect-oom-alloc",
    H + "containers:\n  web: {}\nexpect:\n  - {claim: R1, oom: {container: web, allocate: lots}}\n",
)
_add("expect-cpu-ratio-shares", H + "expect:\n  - {claim: R4, cpu_ratio: {shares: [1024, 999999]}}\n")
_add("expect-cpu-ratio-seconds-inf", H + "expect:\n  - {claim: R4, cpu_ratio: {seconds: .inf}}\n")
_add("vm-memory-29", H + "hosts:\n  v1: {kind: vm, memory: 99999999999999999999999999999}\n")
_add("vm-cpus-99", H + "hosts:\n  v1: {kind: vm, cpus: 99}\n")
_add("replicas-huge", H + "swarm: true\nservices:\n  web: {replicas: 1e300}\n")
_add(
    "calico-asn-29",
    H
    + "hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\ncalico: {asn: 99999999999999999999999999999}\n",
)
_add(
    "flannel-ttl-inf",
    H + "hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\nflannel: {lease_ttl: .inf}\n",
)
_add(
    "storage-size-inf",
    H
    + 'hosts: {h1: {kind: simulated}, h2: {kind: simulated}}\nstorage: {hosts: [h1, h2]}\nvolumes:\n  d: {driver: dockerctl-gluster, options: {size: "inf"}}\n',
)
_add("deep-labels", H + "containers:\n  web:\n    labels: {a: {b: {c: 1}}}\n")
_add("command-map", H + "containers:\n  web:\n    command: {a: 1}\n")
_add("version-2", "version: 2\nname: corpus\n")
_add("version-inf", "version: .inf\nname: corpus\n")
_add("version-29", "version: 12345678901234567890123456789\nname: corpus\n")
_add("x-extension-ok", H + "x-notes: {anything: [1, 2]}\ncontainers:\n  web: {}\n")
_add("x-extension-big-number", H + "x-n: 12345678901234567890123456789\n")

# case → None (reads) or (the line `where` ends with, what the message must name)
EXPECTED: dict[str, tuple[int, str] | None] = {
    "merge-key": None,
    "merge-list": None,
    "merge-bad-through": (3, "containers.web.memory"),
    "merge-explicit-wins": None,
    "merge-later-list-loses": None,
    "merge-scalar": (6, "a merge key << takes a mapping or a list of mappin"),
    "merge-list-of-scalars": (5, "a merge key << takes a mapping or a list of mappin"),
    "merge-twice": (7, "duplicate key '<<'"),
    "merge-inline": None,
    "alias-whole-container": None,
    "alias-bad-container": (4, "containers.web.memory"),
    "alias-undefined": (4, "alias *nothing names no anchor defined before it"),
    "alias-recursive": (4, "alias *c is used inside the value it names"),
    "anchor-twice": (4, "anchor &a is defined twice"),
    "alias-bomb-294": (8, "holds more than 100000 values"),
    "alias-bomb-499": (8, "holds more than 100000 values"),
    "alias-too-many": (4, "more than 1000 aliases"),
    "deep-flow": (3, "nested more than 64 deep"),
    "deep-block": (67, "nested more than 64 deep"),
    "deep-alias": (4, "nested more than 64 deep"),
    "size": (3, "more than 131072 bytes"),
    "volumes-null": None,
    "volumes-null-block": None,
    "container-null": None,
    "networks-null": None,
    "section-null": None,
    "expect-null": None,
    "expect-item-null": (4, "expect.0"),
    "tag-reset": None,
    "tag-override": None,
    "tag-unknown": (5, "tag !bytes is not read here"),
    "tag-python": (5, "tag !!python/object/apply"),
    "tag-python-name": (3, "tag !!python/name"),
    "tag-str": None,
    "tag-int-bad": (5, "containers.web.pids_limit: cannot read 'lots' as int"),
    "tag-set": (5, "containers.web.networks"),
    "tag-local-map": (3, "tag !lab is not read here"),
    "two-docs": (3, "holds more than one YAML document"),
    "dup-key": (5, "duplicate key 'web'"),
    "dup-top": (3, "duplicate key 'name'"),
    "key-list": (4, "keys must be strings, got a list"),
    "key-map": (4, "keys must be strings, got a mapping"),
    "key-bool": (5, "keys must be strings, got True"),
    "key-int": (4, "keys must be strings, got 80"),
    "key-null": (4, "keys must be strings, got None"),
    "not-mapping-list": (1, "a playbook is a mapping"),
    "not-mapping-scalar": (1, "a playbook is a mapping"),
    "empty": (1, "version"),
    "tab-indent": (4, "not valid YAML"),
    "unclosed-flow": (4, "not valid YAML"),
    "unclosed-quote": (4, "not valid YAML"),
    "bad-indent": (5, "not valid YAML"),
    "control-char": (3, "not valid YAML"),
    "binary": None,
    "timestamp-key": (3, "keys must be strings, got datetime.date"),
    "mem-29-digits": (5, "containers.web.memory"),
    "mem-29-digits-str": (5, "containers.web.memory"),
    "mem-int64-max": None,
    "mem-int64-max-plus": (5, "containers.web.memory"),
    "mem-negative-int": (5, "containers.web.memory"),
    "mem-bool": (5, "containers.web.memory.str"),
    "mem-float": (5, "containers.web.memory"),
    "mem-inf": (5, "containers.web.memory"),
    "mem-big-suffix": (5, "containers.web.memory"),
    "mem-exa": (5, "containers.web.memory"),
    "mem-ok": None,
    "mem-ok-int": None,
    "mem-below-min": (5, "containers.web.memory"),
    "swap-29": (6, "containers.web.memory_swap"),
    "swap-minus-one": None,
    "swap-minus-two": (6, "containers.web.memory_swap"),
    "pids-29": (5, "containers.web.pids_limit"),
    "pids-neg": (5, "containers.web.pids_limit"),
    "pids-ok": None,
    "shares-huge": (5, "containers.web.cpu_shares"),
    "shares-low": (5, "containers.web.cpu_shares"),
    "cpus-inf": (5, "containers.web.cpus"),
    "cpus-neg-inf": (5, "containers.web.cpus"),
    "cpus-nan": (5, "containers.web.cpus"),
    "cpus-1e300": (5, "containers.web.cpus"),
    "cpus-99": (5, "containers.web.cpus"),
    "cpus-zero": (5, "containers.web.cpus"),
    "cpus-neg": (5, "containers.web.cpus"),
    "cpus-text": (5, "containers.web.cpus"),
    "cpus-ok": None,
    "cpus-tiny": (5, "containers.web.cpus"),
    "cpus-bool": (5, "containers.web.cpus"),
    "cpus-vm-3": (8, "containers.web.cpus"),
    "cpus-vm-ok": None,
    "cpuset-huge-range": (5, "containers.web.cpuset_cpus"),
    "cpuset-huge-one": (5, "containers.web.cpuset_cpus"),
    "cpuset-beyond-host": (5, "containers.web.cpuset_cpus"),
    "cpuset-8192": (5, "containers.web.cpuset_cpus"),
    "cpuset-reversed": (5, "containers.web.cpuset_cpus"),
    "cpuset-syntax": (5, "containers.web.cpuset_cpus"),
    "cpuset-letters": (5, "containers.web.cpuset_cpus"),
    "cpuset-ok": None,
    "cpuset-ok-range": None,
    "cpuset-int": (5, "containers.web.cpuset_cpus"),
    "cpuset-long-list": (5, "containers.web.cpuset_cpus"),
    "blkio-5": (5, "containers.web.blkio_weight"),
    "blkio-2000": (5, "containers.web.blkio_weight"),
    "blkio-neg": (5, "containers.web.blkio_weight"),
    "blkio-ok": None,
    "blkio-huge": (5, "containers.web.blkio_weight"),
    "blkio-text": (5, "containers.web.blkio_weight"),
    "dev-passwd": (5, "containers.web.device_write_bps"),
    "dev-dotdot": (5, "containers.web.device_read_bps"),
    "dev-etc": (5, "containers.web.device_read_iops"),
    "dev-relative": (5, "containers.web.device_read_bps"),
    "dev-just-dev": (5, "containers.web.device_read_bps"),
    "dev-ok": None,
    "dev-ok-dict": None,
    "dev-dict-passwd": (5, "containers.web.device_write_bps"),
    "dev-rate-29": (5, "containers.web.device_write_bps"),
    "dev-rate-int-29": (5, "containers.web.device_write_bps./dev/vda"),
    "dev-iops-huge": (5, "containers.web.device_write_iops"),
    "dev-iops-zero": (5, "containers.web.device_write_iops"),
    "dev-rate-neg": (5, "containers.web.device_write_bps"),
    "dev-no-rate": (5, "containers.web.device_write_bps"),
    "expect-device-passwd": (4, "expect.0.device_rate"),
    "expect-device-rate-bad": (4, "expect.0.device_rate"),
    "expect-device-iops-zero": (4, "expect.0.device_rate.read_iops"),
    "port-99999": (5, "containers.web.publish"),
    "port-neg": (5, "containers.web.publish"),
    "port-zero": (5, "containers.web.publish"),
    "port-host-99999": (5, "containers.web.publish"),
    "port-text": (5, "containers.web.publish"),
    "port-proto": (5, "containers.web.publish"),
    "port-bad-ip": (5, "containers.web.publish"),
    "port-ok": None,
    "port-ok-plain": None,
    "expect-published-99999": (6, "expect.0.published.port"),
    "expect-published-neg": (6, "expect.0.published.port"),
    "expect-reach-port": (7, "expect.0.reachable.port"),
    "source-ip-port": (7, "expect.0.source_ip.port"),
    "subnet-not": (4, "networks.front.subnet"),
    "subnet-all": (4, "networks.front.subnet"),
    "subnet-host-bits": (4, "networks.front.subnet"),
    "subnet-slash4": (4, "networks.front.subnet"),
    "subnet-loopback": (4, "networks.front.subnet"),
    "subnet-multicast": (4, "networks.front.subnet"),
    "subnet-v6-all": (4, "networks.front.subnet"),
    "subnet-int": (4, "networks.front.subnet"),
    "subnet-ok": None,
    "gateway-bad": (4, "networks.front.gateway"),
    "gateway-outside": (4, "networks.front.gateway"),
    "gateway-no-subnet": (4, "networks.front.gateway"),
    "gateway-ok": None,
    "ip-range-bad": (4, "networks.front.ip_range"),
    "ip-range-outside": (4, "networks.front.ip_range"),
    "ip-range-ok": None,
    "container-ip-bad": (6, "containers.web.ip"),
    "container-ip-text": (4, "containers.web.ip"),
    "switch-all": (4, "switch.subnet"),
    "host-address-bad": (4, "hosts.h1.address"),
    "flannel-network-bad": (4, "flannel.network"),
    "calico-pool-all": (4, "calico.pool"),
    "name-semicolon": (4, "containers"),
    "name-newline": (4, "containers"),
    "name-script": (4, "containers"),
    "net-name-dollar": (4, "networks"),
    "vol-name-space": (4, "volumes"),
    "service-name-semicolon": (5, "services"),
    "image-name-script": (4, "images"),
    "policy-name-newline": (4, "policies"),
    "lab-name-semicolon": (2, "name"),
    "lab-name-newline": (2, "name"),
    "lab-name-upper": (2, "name"),
    "image-ref-shell": (4, "containers.web.image"),
    "image-ref-newline": (4, "containers.web.image"),
    "image-ref-ok": None,
    "service-image-shell": (5, "services.web.image"),
    "hostname-shell": (5, "containers.web.hostname"),
    "hostname-ok": None,
    "ssh-proxycommand": (4, "hosts.far"),
    "ssh-user-dash": (4, "hosts.far"),
    "ssh-host-dash-user": (4, "hosts.far"),
    "ssh-space": (4, "hosts.far"),
    "ssh-path": (4, "hosts.far"),
    "ssh-port": (4, "hosts.far"),
    "ssh-ok": None,
    "ssh-ok-port": None,
    "tcp-no-port": (4, "hosts.far"),
    "tcp-ok": None,
    "unix-relative": (4, "hosts.far"),
    "unix-ok": None,
    "http-scheme": (4, "hosts.far"),
    "service-cpu-inf": (5, "services.web.limit_cpu"),
    "service-cpu-99": (5, "services.web.limit_cpu"),
    "service-reserve-nan": (5, "services.web.reserve_cpu"),
    "service-memory-29": (5, "services.web.limit_memory"),
    "service-max-per-host": (5, "services.web.max_per_host"),
    "expect-limits-29": (6, "expect.0.limits.memory"),
    "expect-limits-cpus-inf": (6, "expect.0.limits.cpus"),
    "expect-oom-alloc": (6, "expect.0.oom.allocate"),
    "expect-cpu-ratio-shares": (4, "expect.0.cpu_ratio.shares.1"),
    "expect-cpu-ratio-seconds-inf": (4, "expect.0.cpu_ratio.seconds"),
    "vm-memory-29": (4, "hosts.v1.memory"),
    "vm-cpus-99": (4, "hosts.v1.cpus"),
    "replicas-huge": (5, "services.web.replicas"),
    "calico-asn-29": (4, "calico.asn"),
    "flannel-ttl-inf": (4, "flannel.lease_ttl"),
    "storage-size-inf": (6, "volumes.d.options"),
    "deep-labels": (5, "containers.web.labels.a"),
    "command-map": (5, "containers.web.command.list[str]"),
    "version-2": (1, "version"),
    "version-inf": (1, "version"),
    "version-29": (1, "version"),
    "x-extension-ok": None,
    "x-extension-big-number": None,
}


def test_the_playbook_corpus_has_at_least_150_cases() -> None:
    assert len(CASES) >= 150
    assert len({case for case, _ in CASES}) == len(CASES), "case ids are unique"
    assert set(EXPECTED) == {case for case, _ in CASES}


def test_the_issue_examples_are_in_the_corpus() -> None:
    texts = "\n".join(text for _, text in CASES)
    for example in (
        "<<: *base",
        "<<: [*a, *b]",
        "volumes: {data:}",
        "12345678901234567890123456789",
        "cpus: .inf",
        "cpus: 1e300",
        '"99999"',
        '"-80"',
        "not-a-subnet",
        "0.0.0.0/0",
        "a;$(id)",
        "<script>",
        "a\\nb",
        "-oProxyCommand=",
        "/../../etc/passwd",
        "0-99999999999",
    ):
        assert example in texts, example
    sizes = {case: len(text.encode()) for case, text in CASES}
    assert sizes["alias-bomb-294"] == 294 and sizes["alias-bomb-499"] == 499


@pytest.mark.parametrize(("case", "text"), CASES, ids=[case for case, _ in CASES])
def test_playbook_case(case: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / "corpus.yaml"
    path.write_text(text)
    expected = EXPECTED[case]
    started = time.monotonic()
    try:
        load_playbook(path)
    except InvalidInput as exc:
        assert expected is not None, f"{case}: refused, expected to read: {exc}"
        line, names = expected
        assert exc.where == f"{path}:{line}", f"{case}: {exc.where} {exc.message}"
        assert names in exc.message, f"{case}: {exc.message!r} does not name {names!r}"
        assert "\n" not in str(exc).replace("\\n", ""), "one sentence, one line"
    else:
        assert expected is None, f"{case}: read, expected InvalidInput at line {expected[0]}"
    assert time.monotonic() - started < 1.0, f"{case} took {time.monotonic() - started:.2f}s"
