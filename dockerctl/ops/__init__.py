"""Whole operations, one module per command family, each owning its report: parse → preflight → apply →
observe → verify. The lab's lifecycle is written once (lifecycle.py) and iterates over the network
models (netmodels/base.models()), naming none. The CLI calls these and renders their reports; nothing
here prints."""
