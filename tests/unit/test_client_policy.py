"""The retry policy: transient engine errors are retried, client errors are not (pure: fake calls)."""

from __future__ import annotations

import docker.errors
import pytest
import requests
import requests.exceptions

from dockerctl.engines import client as client_mod
from dockerctl.engines.client import engine_call, is_transient, translate
from dockerctl.errors import Conflict, EngineError, EngineUnavailable, InvalidInput, NotFound


def _api_error(status: int, explanation: str = "boom") -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    cls = docker.errors.NotFound if status == 404 else docker.errors.APIError
    return cls("engine said", response=response, explanation=explanation)


class Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    from tenacity import wait_none

    monkeypatch.setattr(client_mod, "_WAIT", wait_none())


def test_server_errors_and_lost_connections_are_retried() -> None:
    fn = Flaky([_api_error(500), requests.exceptions.ConnectionError("reset"), _api_error(503)])
    assert engine_call(fn, what="x") == "done"
    assert fn.calls == 4


def test_client_errors_are_not_retried() -> None:
    for status, kind in ((400, InvalidInput), (404, NotFound), (409, Conflict)):
        fn = Flaky([_api_error(status, "nope")])
        with pytest.raises(kind, match="nope"):
            engine_call(fn, what="do it")
        assert fn.calls == 1


def test_retries_give_up_after_the_attempt_limit() -> None:
    fn = Flaky([_api_error(500) for _ in range(10)])
    with pytest.raises(EngineError, match="HTTP 500"):
        engine_call(fn, what="start")
    assert fn.calls == client_mod.ATTEMPTS


def test_lost_connection_becomes_one_sentence() -> None:
    err = translate(requests.exceptions.ConnectionError("x"), "list containers")
    assert isinstance(err, EngineUnavailable)
    assert "lost the connection" in str(err) and "\n" not in str(err)


def test_is_transient_classification() -> None:
    assert is_transient(_api_error(502))
    assert not is_transient(_api_error(404))
    assert is_transient(requests.exceptions.ReadTimeout())
    assert not is_transient(ValueError())
