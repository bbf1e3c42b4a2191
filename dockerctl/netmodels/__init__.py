"""The network models, one folder each (calico/, flannel/, weave/: the model's section, schema, fabric,
driver, proofs, verdicts and its `NetworkModel`), the interface they share (base.py) and the one registry
that names them (registry.py) — see registry.py for the parts and their order."""
