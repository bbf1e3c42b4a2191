"""calico's playbook keys (pydantic): its section (`calico:`), its policies (`policies:`, a key of the
playbook's own) and the expectation kind that proves it (`routed`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dockerctl.errors import InvalidInput

_STRICT = ConfigDict(extra="forbid")
Port = Annotated[int, Field(ge=1, le=65535)]  # a TCP/UDP port


class CalicoEntry(BaseModel):
    """calico's IP pool and BGP AS (seed X13): each simulated host claims a block of the pool; BIRD on
    every host peers with the others (a full iBGP mesh) and learns their blocks."""

    model_config = _STRICT
    pool: str = "10.7.0.0/16"
    block_len: int = Field(default=26, ge=8, le=30)
    asn: int = Field(default=64512, ge=1, le=4294967295)


class PolicyRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: dict[str, str] = Field(alias="from")  # labels of the containers allowed in
    port: Port
    protocol: Literal["tcp", "udp"] = "tcp"


class PolicyEntry(BaseModel):
    """A calico network policy (seed X13): the containers whose labels match `selector` take traffic only
    as `allow` says; everything else to them is dropped."""

    model_config = _STRICT
    selector: dict[str, str]
    allow: list[PolicyRule] = Field(default_factory=list)


class RoutedExpect(BaseModel):
    """X13 pure L3: from `from` to `to` (on another host) the reply's TTL is decremented (routed by both
    hosts), the route to the other host's block is `proto bird`, BGP is established, and no
    encapsulation device exists on either host."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    to: str


SCHEMA = CalicoEntry
KEYS: dict[str, Any] = {
    "policies": (dict[str, PolicyEntry], Field(default_factory=dict))
}  # beside the section
EXPECT: dict[str, type[BaseModel]] = {"routed": RoutedExpect}


def check_playbook(pb: Any) -> None:
    """calico's policies select containers by their labels."""
    if pb.section("calico") is None:
        if pb.policies:
            raise InvalidInput("policies are calico's: add calico: {pool: 10.7.0.0/16}", where="policies")
        return
    labels = {(k, v) for c in pb.containers.values() for k, v in c.labels.items()}
    for pname, p in pb.policies.items():
        if not p.selector:
            raise InvalidInput(
                "a policy selects containers by label: give selector: {role: web}",
                where=f"policies.{pname}.selector",
            )
        for i, sel in [(-1, p.selector), *((i, r.source) for i, r in enumerate(p.allow))]:
            missing = [f"{k}={v}" for k, v in sel.items() if (k, v) not in labels]
            if missing:
                where = f"policies.{pname}.selector" if i < 0 else f"policies.{pname}.allow.{i}"
                known = ", ".join(sorted(f"{k}={v}" for k, v in labels)) or "none"
                raise InvalidInput(
                    f"no container of this playbook has label {', '.join(missing)} (labels here: {known})",
                    where=where,
                )
