"""The storage pool's volume driver name, in a module of its own: `down` and the pool's bookkeeping
need it without the playbook models (pydantic)."""

GLUSTER_DRIVER = "dockerctl-gluster"  # the volume driver's name, as `docker volume create --driver` takes it
