"""What a lab makes on a host outside any engine, each piece marked as the lab's and removed by that mark:
veth pairs (macvlan parents), the lab "outside" namespace and lab namespaces, simulated hosts' dockerds,
VM hosts, the lab switch, swarm mode across hosts, the GlusterFS pool, the lab's etcd for the network
models that keep state in one, and the models' lab records (model_records.py). A network model's own
fabric is in its folder (netmodels/<m>/fabric.py)."""
