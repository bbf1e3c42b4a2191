"""One home per check: read one live subject on its engine's host and judge it → [Check].

The CLI (`ops/`), playbook expectations (`prove/expectations.py`) and the pytest assertions
(`testing/`) all call these; none reads the kernel or judges on its own.
"""
