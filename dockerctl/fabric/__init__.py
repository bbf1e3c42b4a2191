"""Network fabric a lab makes on a host, outside any engine: veth pairs (macvlan parents) and the lab
"outside" namespace. Each piece is marked as the lab's and removed by that mark."""
