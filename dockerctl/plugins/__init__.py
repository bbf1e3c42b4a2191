"""dockerctl's own engine plugins, served the way the engine finds "legacy" plugins: a socket in
/run/docker/plugins (seed X1, V1). The protocol (JSON over HTTP on a unix socket), the server, and the
drivers: the GlusterFS volume driver (V1, V2)."""
