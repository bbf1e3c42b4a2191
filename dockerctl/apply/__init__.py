"""Change the engine: containers, networks, volumes, images, swarm mode and services, `cp`, `update` —
every call retried only on transient errors, every resource labelled as dockerctl's. Also a playbook's
plan (plan.py, pure: what the engine has → the changes) and its application (playbook.py, topology.py),
preflight refusals, and the one cleanup of labelled resources (cleanup.py, orphans.py)."""
