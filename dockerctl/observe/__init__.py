"""Read the kernel's truth on an engine's host, always through a `Host`: cgroup files and their limits,
/proc (namespaces, mounts, processes, OOM records), link and route tables, iptables, a network model's
kernel evidence, probes sent from inside a container's namespaces. Never changes anything."""
