"""flannel (seed X11): a subnet per host leased in the lab's etcd, routed between hosts by host-gw routes
or a vxlan device; its section, schema, fabric, driver, proofs, verdicts and `NetworkModel` (model.py)."""
