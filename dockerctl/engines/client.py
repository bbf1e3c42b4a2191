"""The engine connection and the one retry policy.

Transient failures (lost connection, read timeout, HTTP 5xx) are retried with exponential backoff;
client errors (4xx) never are. Every docker-py exception leaves here as a DockerctlError that says
what failed and what to do, so no caller (and no user) ever sees a docker-py traceback.
"""

from __future__ import annotations

import errno
import grp
import os
from collections.abc import Callable
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from dockerctl.engines import sshfix
from dockerctl.errors import (
    Conflict,
    DockerctlError,
    EngineError,
    EngineUnavailable,
    InvalidInput,
    NotFound,
)

T = TypeVar("T")

DEFAULT_URL = "unix:///var/run/docker.sock"
ATTEMPTS = int(os.environ.get("DOCKERCTL_RETRY_ATTEMPTS", "4"))
_WAIT = wait_exponential(multiplier=0.25, min=0.25, max=4)

_LOST_CONNECTION = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def engine_url(base_url: str | None = None) -> str:
    return base_url or os.environ.get("DOCKER_HOST") or DEFAULT_URL


def is_transient(exc: BaseException) -> bool:
    """Lost connections and server errors are worth another try; client errors are not."""
    if isinstance(exc, _LOST_CONNECTION):
        return not _permission_denied(exc)
    if isinstance(exc, docker.errors.APIError):
        return bool(exc.is_server_error())
    return False


def translate(exc: BaseException, what: str, url: str | None = None) -> DockerctlError:
    """One docker-py / requests exception → one DockerctlError with the engine's own explanation."""
    if isinstance(exc, DockerctlError):
        return exc
    if isinstance(exc, _LOST_CONNECTION) and _permission_denied(exc):
        return socket_denied(engine_url(url))
    if isinstance(exc, _LOST_CONNECTION):
        return EngineUnavailable(
            f"lost the connection to the Docker engine at {engine_url(url)} while trying to {what}",
            hint="is dockerd still running? scripts/setup starts it",
        )
    if isinstance(exc, docker.errors.APIError):
        detail = exc.explanation or str(exc)
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        status = exc.status_code or 0
        if isinstance(exc, docker.errors.NotFound) or status == 404:
            return NotFound(f"cannot {what}: {detail}")
        if status == 409:
            return Conflict(f"cannot {what}: {detail}")
        if 400 <= status < 500:
            return InvalidInput(f"the engine refused to {what}: {detail}")
        return EngineError(f"the engine failed to {what} (HTTP {status}): {detail}")
    if isinstance(exc, docker.errors.DockerException):
        return EngineError(f"cannot {what}: {exc}")
    return EngineError(f"cannot {what}: {type(exc).__name__}: {exc}")


def engine_call(fn: Callable[..., T], *args: Any, what: str, **kwargs: Any) -> T:
    """Call one engine operation under the retry policy; failures come out as DockerctlError."""
    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(max(1, ATTEMPTS)),
        wait=_WAIT,
        reraise=True,
    )
    try:
        return retrying(fn, *args, **kwargs)
    except DockerctlError:
        raise
    except Exception as exc:
        raise translate(exc, what) from exc


def connect(
    base_url: str | None = None, *, timeout: int = 120, url: str | None = None
) -> docker.DockerClient:
    """A client for the engine at `base_url` (default: DOCKER_HOST, then the local socket).

    Raises EngineUnavailable with one sentence when nothing answers there. An ssh:// engine is reached
    through the `ssh` binary (docker-py's use_ssh_client), so the operator's ssh config applies.
    """
    url = url or engine_url(base_url)

    def _open() -> docker.DockerClient:
        if url.startswith("ssh://"):
            sshfix.patch()
            return docker.DockerClient(base_url=url, version="auto", timeout=timeout, use_ssh_client=True)
        if base_url is None:
            return docker.from_env(version="auto", timeout=timeout)
        return docker.DockerClient(base_url=base_url, version="auto", timeout=timeout)

    try:
        client = Retrying(
            retry=retry_if_exception(lambda e: is_transient(e) and not _refused(e)),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.2, max=1),
            reraise=True,
        )(_open)
    except docker.errors.DockerException as exc:
        if _permission_denied(exc):
            raise socket_denied(url) from exc
        raise EngineUnavailable(
            f"no Docker engine answers at {url}",
            hint="start one with scripts/setup, or point DOCKER_HOST / --host at a running engine",
        ) from exc
    except Exception as exc:
        raise translate(exc, "connect to the engine", url) from exc
    client.dockerctl_url = url  # docker-py's base_url drops a unix socket's path; later checks need it
    return client


def _refused(exc: BaseException) -> bool:
    """A socket that does not exist, refuses, or is not ours to open: retrying will not help."""
    text = str(exc)
    return "No such file or directory" in text or "Connection refused" in text or _permission_denied(exc)


def _permission_denied(exc: BaseException) -> bool:
    """Whether the engine's socket refused this user (EACCES/EPERM anywhere in the exception's chain:
    docker-py wraps the socket's PermissionError in requests' and its own errors)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, PermissionError) or (
            isinstance(e, OSError) and e.errno in (errno.EACCES, errno.EPERM)
        ):
            return True
        todo.extend([e.__cause__, e.__context__, *(a for a in e.args if isinstance(a, BaseException))])
    return "Permission denied" in str(exc)


def socket_denied(url: str) -> EngineUnavailable:
    """One sentence for a socket this user may not open: its path, and who may (root, its group)."""
    path = url[len("unix://") :] if url.startswith("unix://") else url
    try:
        gid = os.stat(path).st_gid
    except OSError:
        return EngineUnavailable(
            f"permission denied on {path}: run as root or as a member of the socket's group"
        )
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = f"gid {gid}"
    return EngineUnavailable(
        f"permission denied on {path}: run as root or as a member of the socket's group ({group})"
    )
