"""Pictures of labs and runs: a playbook's topology (Graphviz) and self-contained HTML reports."""
