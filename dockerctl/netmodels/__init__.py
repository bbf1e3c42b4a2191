"""The network models, one folder each (calico/, flannel/, weave/: the model's section, schema, fabric,
driver, proofs, verdicts and its `NetworkModel`) and the interface they share (base.py). The one registry
that names them is spec/netmodels.py (light: it imports no model); see it for the parts and their order.
Only commands that use a model load one (`play`, `net`, `doctor`, …; never `limits`, `ns` or `mounts`)."""
