"""Paths on this machine that dockerctl owns or shares, named once."""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "DOCKERCTL_STATE_DIR"  # where dockerctl keeps its records, locks and lab daemons' state
DEFAULT_STATE = "/var/lib/dockerctl-state"
NETNS_DIR = "/var/run/netns"  # named network namespaces (`ip netns`), where lab hosts live


def state_dir() -> Path:
    """dockerctl's state directory on this machine ($DOCKERCTL_STATE_DIR, or /var/lib/dockerctl-state)."""
    return Path(os.environ.get(STATE_ENV, DEFAULT_STATE))
