"""Validated specs: what the user asked for, in bytes, checked before anything touches the engine."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dockerctl.errors import InvalidInput
from dockerctl.spec.fields import THROTTLE_KINDS
from dockerctl.spec.limit_values import MAX_SHARES as MAX_SHARES  # the rules' numbers, where they were
from dockerctl.spec.limit_values import MIN_MEMORY as MIN_MEMORY
from dockerctl.spec.limit_values import MIN_SHARES as MIN_SHARES
from dockerctl.spec.limit_values import DeviceRateValue, LimitValues
from dockerctl.spec.limit_values import cpuset_members as cpuset_members
from dockerctl.spec.mounts import MountSpec
from dockerctl.spec.network import PortSpec

# docker's validContainerNamePattern
_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+\Z")
_HOSTNAME = re.compile(r"^(?=.{1,63}\Z)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\Z")


BASE_IMAGE = "dockerctl/base:latest"  # built locally from the static busybox; never pulled


# frozen as a class keyword (not in model_config) so that type checkers see a frozen dataclass, as the base is
class DeviceRate(BaseModel, DeviceRateValue, frozen=True, extra="forbid"):
    """One `--device-*-bps` / `--device-*-iops` entry: a host block device and a positive rate."""


class Limits(BaseModel, LimitValues, frozen=True, extra="forbid"):
    """The limits (spec/limit_values.py: their fields, rules and derived values), validated: values are
    coerced as pydantic does, an unknown field is refused, and docker's rules hold once it is built."""

    device_read_bps: tuple[DeviceRate, ...] = ()
    device_write_bps: tuple[DeviceRate, ...] = ()
    device_read_iops: tuple[DeviceRate, ...] = ()
    device_write_iops: tuple[DeviceRate, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Limits:
        self.check_rules()
        return self

    def asked(self) -> dict[str, Any]:
        """The fields that were set, JSON-ready (recorded on the container as labels.REQUESTED)."""
        return self.model_dump(exclude_defaults=True, mode="json")

    @classmethod
    def of(cls, values: LimitValues) -> Limits:
        """Plain limits as the model specs hold, as they are: they were held to the rules when read back
        (`limit_values.recorded`) or the engine took them (HostConfig), so nothing is checked again."""
        if isinstance(values, Limits):
            return values
        given: dict[str, Any] = {}
        for f in fields(LimitValues):
            value = getattr(values, f.name)
            if value != f.default:  # what was set, as a label's keys are
                given[f.name] = (
                    tuple(DeviceRate(path=e.path, rate=e.rate) for e in value)
                    if f.name in THROTTLE_KINDS
                    else value
                )
        return cls.model_construct(**given)


class ContainerSpec(BaseModel):
    """One container as `dockerctl run` (and later a playbook) describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    image: str
    command: list[str] = Field(default_factory=list)
    name: str | None = None
    limits: Limits = Field(default_factory=Limits)
    lab: str | None = None
    mounts: tuple[MountSpec, ...] = ()
    volumes_from: tuple[str, ...] = ()  # "container[:ro|rw]"
    network: str | None = None  # none | host | bridge | NAME | container:NAME
    ip: str | None = None
    hostname: str | None = None
    publish: tuple[PortSpec, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)  # more labels beside dockerctl's own

    @model_validator(mode="after")
    def _network_options(self) -> ContainerSpec:
        mode = self.network or ""
        if self.hostname is not None and not _HOSTNAME.match(self.hostname):
            raise InvalidInput(f"invalid hostname {self.hostname!r}", field="hostname")
        if self.hostname is not None and (mode == "host" or mode.startswith("container:")):
            raise InvalidInput(
                f"--hostname conflicts with --network {mode}: the UTS namespace is not the "
                "container's own there",
                field="hostname",
            )
        if self.publish and (mode in ("host", "none") or mode.startswith("container:")):
            raise InvalidInput(
                f"-p has no effect with --network {mode}: there is no bridge to publish from; use a bridge network",
                field="publish",
            )
        if mode.startswith("container:") and not mode.split(":", 1)[1]:
            raise InvalidInput("expected --network container:NAME", field="network")
        return self

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
