"""What a lab makes on a host outside any engine, each piece marked as the lab's and removed by that mark:
the lab's hosts (labhosts.py: the switch, simulated hosts, VM hosts, each kind made and read as
host_kinds.py says; their records in lab_host_records.py), network namespaces and the lab "outside"
namespace, veth pairs (macvlan parents), simulated hosts' dockerds, VM hosts, swarm mode across hosts,
the GlusterFS pool, the lab's etcd for the network models that keep state in one, and the models' lab
records (model_records.py). A network model's own fabric is in its folder (netmodels/<m>/fabric.py)."""
