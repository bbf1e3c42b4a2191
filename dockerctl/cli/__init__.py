"""The `dockerctl` command: the root and its table of commands (app.py: only the invoked command's
module is imported), one module per command or group, the shared options (_context.py, limit_flags.py),
the written-down help (helptext.py) and the output for people and scripts (render.py, junit.py).
Each command parses its flags, calls `ops/`, and renders the report; no logic of its own."""
