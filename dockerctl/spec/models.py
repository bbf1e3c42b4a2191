"""Validated specs: what the user asked for, in bytes, checked before anything touches the engine."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dockerctl.errors import InvalidInput
from dockerctl.spec.units import UNLIMITED, format_bytes

# The engine refuses smaller memory limits ("Minimum memory limit allowed is 6MB", measured on 20.10).
MIN_MEMORY = 6 * 1024 * 1024
# docker's validContainerNamePattern
_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


class MemoryLimits(BaseModel):
    """Seed R1–R3: `-m` and `--memory-swap`, with `docker run`'s meaning of each value.

    memory: bytes, or None when not set (0 from the CLI also means "not set", as in docker).
    memory_swap: memory + swap in bytes, -1 for unlimited swap, None when not set.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    memory: int | None = None
    memory_swap: int | None = None

    @model_validator(mode="after")
    def _check(self) -> MemoryLimits:
        if self.memory is not None and self.memory < 0:
            raise InvalidInput("memory limit cannot be negative", field="memory")
        if self.memory is not None and 0 < self.memory < MIN_MEMORY:
            raise InvalidInput(
                f"{format_bytes(self.memory)} is below the engine's minimum memory limit of 6MB",
                field="memory",
                hint="use at least 6m",
            )
        swap = self.memory_swap
        if swap is not None and swap not in (0, UNLIMITED):  # 0 means unset, as in docker
            if swap < 0:
                raise InvalidInput("memory+swap must be a size or -1 (unlimited)", field="memory_swap")
            if not self.memory:
                raise InvalidInput(
                    "--memory-swap needs -m/--memory as well: it limits memory plus swap (seed R2)",
                    field="memory_swap",
                )
            if swap < self.memory:
                raise InvalidInput(
                    f"memory+swap {format_bytes(swap)} is smaller than the memory limit "
                    f"{format_bytes(self.memory)}; give at least the memory limit (equal means no swap)",
                    field="memory_swap",
                )
        return self

    @property
    def effective_memory(self) -> int | None:
        """The memory limit the kernel should hold, None for unlimited."""
        return self.memory or None

    @property
    def effective_memory_swap(self) -> int | None:
        """Memory + swap the kernel should hold, None for unlimited (seed R3: 2 × memory when unset)."""
        if not self.memory:
            return None
        if self.memory_swap == UNLIMITED:
            return None
        if not self.memory_swap:
            return 2 * self.memory
        return self.memory_swap

    def host_config(self) -> dict[str, int]:
        """docker-py `host_config` keyword arguments; unset values are left to the engine's defaults."""
        out: dict[str, int] = {}
        if self.memory:
            out["mem_limit"] = self.memory
        if self.memory_swap is not None and self.memory_swap != 0:
            out["memswap_limit"] = self.memory_swap
        return out


class ContainerSpec(BaseModel):
    """One container as `dockerctl run` (and later a playbook) describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    image: str
    command: list[str] = Field(default_factory=list)
    name: str | None = None
    limits: MemoryLimits = Field(default_factory=MemoryLimits)
    lab: str | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or value != value.strip():
            raise InvalidInput(f"invalid image reference {value!r}", field="image")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise InvalidInput(
                f"invalid container name {value!r}",
                field="name",
                hint="use letters, digits, '_', '.', '-', starting with a letter or digit, 2+ characters",
            )
        return value
