"""weave (seed X12): one L2 segment across the hosts (a bridge with a vxlan port) and names under
weave.local; its section, schema, fabric, driver, proofs, verdicts and `NetworkModel` (model.py)."""
