"""Read the kernel's truth: cgroup files, /proc, the mount table, link probes. Never changes anything."""
