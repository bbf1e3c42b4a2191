"""Parse and validate what the user asked for, before any engine is touched: the one unit parser,
container specs and the limit field table, the topology, playbook and compose formats (errors at
FILE:LINE), lab and resource names, host kinds' traits, and the network models' section rows
(sections.py; each model's own section and schema live in its folder, netmodels/<m>/, and reach the
playbook through spec/netmodels.py)."""
