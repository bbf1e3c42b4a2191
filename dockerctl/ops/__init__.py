"""Whole operations, one module per command family, each owning its report: parse → preflight → apply →
observe → verify. The CLI calls these and renders their reports; nothing here prints."""
