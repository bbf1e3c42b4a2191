"""weave's playbook keys (pydantic): its section (`weave:`) and the expectation kind that proves it
(`one_switch`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid")


class WeaveEntry(BaseModel):
    """weave's one address range (seed X12), split among the simulated hosts for allocation."""

    model_config = _STRICT
    ip_range: str = "10.32.0.0/12"


class OneSwitchExpect(BaseModel):
    """X12 "as if all plugged into the same switch": across hosts the reply's TTL is not decremented,
    the remote MAC is in the local neighbour table and learned behind the vxlan port, and the remote
    container's NAME.weave.local resolves."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    to: str


SCHEMA = WeaveEntry
EXPECT: dict[str, type[BaseModel]] = {"one_switch": OneSwitchExpect}
