"""calico (seed X13): blocks of a pool claimed in the lab's etcd, BIRD in a full iBGP mesh, policies
compiled into Felix's chains; its section, schema, fabric, driver, proofs, verdicts and `NetworkModel`."""
