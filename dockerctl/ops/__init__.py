"""Whole operations, one module per command family, each owning its report: parse → preflight → apply →
observe → verify. `run`/`limits`/`update` (limits.py), `ns`, `mounts`, `audit`, `top` and the exporter,
`doctor`, `compose verify`, `net …`, `prove …`, `bench net`, the storage pool, lab hosts, and a lab's
`play`/`down` — whose lifecycle is written once (lifecycle.py) and iterates over the network models
(netmodels/base.models()), naming none. The CLI calls these and renders their reports; nothing here
prints."""
