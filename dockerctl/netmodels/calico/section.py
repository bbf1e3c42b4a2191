"""calico's config, checked before anything is made (seed X13): an IP pool cut into blocks, one block per
host at least, an AS number for the hosts' BGP mesh, and policies that select workloads by label."""

from __future__ import annotations

from dockerctl.spec.netmodels import driver_of
from dockerctl.spec.sections import BenchLab, ModelSection, OnePerHost

DRIVER = driver_of("calico")  # the network + IPAM driver (driver.py)
GATEWAY = "169.254.1.1"  # every workload's gateway, answered by proxy ARP on the host end of its veth


SECTION = ModelSection(
    "calico", DRIVER, "{pool: 10.7.0.0/16}", "takes /32s from the calico pool",
    OnePerHost("calico", "pool", "block_len", "block", "10.7.0.0/16", 30),
    named=(("policies", "calico policy", "allow-web"),),
    bench=(
        BenchLab("calico", "calico L3 across two hosts (BGP routes)", "bench-cal", "bca", 125,
                 {"pool": "10.10.0.0/16", "block_len": 26, "asn": 64512}),
    ),
)  # fmt: skip
