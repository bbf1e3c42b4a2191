"""flannel's network config, checked before anything is made (seed X11): the Network must hold a
subnet per host, as flannel leases them (SubnetMin is the second subnet, SubnetMax the last)."""

from __future__ import annotations

from dockerctl.spec.netmodels import driver_of
from dockerctl.spec.sections import BenchLab, ModelSection, OnePerHost

DRIVER = driver_of("flannel")  # the network + IPAM driver (driver.py)


SECTION = ModelSection(
    "flannel", DRIVER, "{network: 10.5.0.0/16, backend: vxlan}", "takes its subnet from the host's lease",
    OnePerHost("flannel", "network", "subnet_len", "subnet", "10.5.0.0/16", 28, spare=1),
    proofs=("flannel", "lease_removed"),
    modes="vxlan or host-gw",
    bench=(
        BenchLab("flannel-host-gw", "flannel host-gw across two hosts (routes)", "bench-fgw", "bfg", 123,
                 {"network": "10.8.0.0/16", "backend": "host-gw"}),
        BenchLab("flannel-vxlan", "flannel vxlan across two hosts (flannel.1)", "bench-fvx", "bfv", 124,
                 {"network": "10.9.0.0/16", "backend": "vxlan"}),
    ),
)  # fmt: skip
