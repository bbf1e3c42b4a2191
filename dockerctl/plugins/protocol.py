"""The engine's plugin protocol, without a socket: request path + JSON body → status + JSON answer.

Every call is `POST /<Interface>.<Method>` with a JSON body (maybe empty) and content type
`application/vnd.docker.plugins.v1+json`; the answer is JSON. A failure is the protocol's own
`{"Err": "…"}` — for a method the plugin does not implement (404: the engine then falls back to its
default, e.g. for `VolumeDriver.Capabilities`), for a body that is not JSON (400), and for a call that
fails (500) — never a crash. Upstream: moby `pkg/plugins/client.go`, `volume/drivers/proxy.go`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dockerctl.errors import DockerctlError

CONTENT_TYPE = "application/vnd.docker.plugins.v1+json"


@dataclass(frozen=True)
class Caller:
    """Who called: the connecting process (the engine) and its network namespace's inode."""

    pid: int
    netns: int  # 0: unknown


class PluginError(DockerctlError):
    """A call that fails: its message goes back to the engine as {"Err": message}."""


Handler = Callable[[dict[str, Any], Caller], dict[str, Any]]


class PluginApp:
    def __init__(self, implements: list[str]) -> None:
        self.implements = list(implements)
        self.routes: dict[str, Handler] = {"/Plugin.Activate": self._activate}

    def _activate(self, _body: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        return {"Implements": self.implements}

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def methods(self) -> list[str]:
        return sorted(p.lstrip("/") for p in self.routes)

    def handle(self, path: str, raw: bytes, caller: Caller) -> tuple[int, dict[str, Any]]:
        handler = self.routes.get(path.split("?", 1)[0])
        if handler is None:
            return 404, {"Err": f"{path.lstrip('/') or '/'} is not implemented by this plugin"}
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            return 400, {"Err": f"the request body is not JSON: {exc}"}
        if not isinstance(body, dict):
            return 400, {"Err": f"the request body must be a JSON object, got {type(body).__name__}"}
        try:
            return 200, handler(body, caller)
        except PluginError as exc:
            return 500, {"Err": str(exc)}
        except Exception as exc:  # a bug or an unforeseen state: still an answer, never a crash
            return 500, {"Err": f"{path.lstrip('/')} failed: {type(exc).__name__}: {exc}"}
