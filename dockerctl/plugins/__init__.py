"""dockerctl's own engine plugins, served the way the engine finds "legacy" plugins: a socket in
/run/docker/plugins (seed X1, V1). The protocol (JSON over HTTP on a unix socket), the server, the
plugin daemon and its records (daemon.py, whose table of network drivers comes from the model
registry), the GlusterFS volume driver (V1, V2), and the base every network model's driver stands on
(remote_net.py; each model's driver is in its folder, netmodels/<m>/driver.py)."""
