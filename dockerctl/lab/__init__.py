"""Lab helpers: the project's locally built images (later: lab hosts, switches, swarm)."""
