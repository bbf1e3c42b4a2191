"""Proofs by behaviour (seed R1–R7): what a limit does to a running process, measured.

Each proof runs in throwaway, labelled containers (a "twin" with the same limits when a container is
named — never inside the user's container, where an OOM kill would hurt), measures, compares with
what the limit promises, and removes everything it made, also on failure or Ctrl-C.

The playbook's expectations are one registry (registry.py, expectations.py): a topic's handlers live in
its module here (overlay, volumes, services, pool), a network model's in its folder
(netmodels/<m>/proofs.py, loaded through the model registry).
"""
