"""The portal's commands to the services are safe to send again (portal.backend): each carries an
Idempotency-Key of its own, kept when it is sent again after no answer or a 503, so that the
service applies it once (ADR 21); reads carry none, and an upload is sent once."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from portal import backend as backend_module
from portal.backend import Backends, BackendUnavailable
from portal.settings import PortalSettings
from tests.portal.support import run_async

Answer = Callable[[httpx.Request], httpx.Response]


def _backends(answers: list[Answer], seen: list[httpx.Request]) -> Backends:
    def transport(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)(request)

    return Backends(
        PortalSettings(auth_mode="development", dev_users=[]), transport=httpx.MockTransport(transport)
    )


def _no_answer(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def _unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": "30"}, json={"code": "service.database_unavailable"})


def _created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"intervention_id": "i-1"})


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend_module, "RETRY_PAUSE_S", 0.0)
    monkeypatch.setattr(backend_module, "MAX_RETRY_PAUSE_S", 0.0)


def test_a_command_is_sent_again_with_the_same_key_after_no_answer_and_a_503() -> None:
    seen: list[httpx.Request] = []
    backends = _backends([_no_answer, _unavailable, _created], seen)
    answer = run_async(backends.post("interventions", "/interventions", token="t", json={"a": 1}))
    assert answer == {"intervention_id": "i-1"}
    keys = {request.headers["Idempotency-Key"] for request in seen}
    assert len(seen) == 3
    assert len(keys) == 1
    assert len(keys.pop()) == 36


def test_each_command_has_its_own_key_and_a_read_has_none() -> None:
    seen: list[httpx.Request] = []
    backends = _backends([_created, _created, lambda r: httpx.Response(200, json={})], seen)
    run_async(backends.post("interventions", "/interventions", token="t", json={}))
    run_async(backends.post("interventions", "/interventions", token="t", json={}))
    run_async(backends.get("interventions", "/interventions", token="t"))
    assert seen[0].headers["Idempotency-Key"] != seen[1].headers["Idempotency-Key"]
    assert "Idempotency-Key" not in seen[2].headers


def test_a_service_still_away_after_the_retries_is_unavailable() -> None:
    seen: list[httpx.Request] = []
    backends = _backends([_no_answer, _no_answer, _no_answer], seen)
    with pytest.raises(BackendUnavailable):
        run_async(backends.post("reporting", "/reports/x/submit", token="t"))
    assert len(seen) == 3


def test_a_read_and_an_upload_are_sent_once() -> None:
    seen: list[httpx.Request] = []
    backends = _backends([_no_answer, _no_answer], seen)
    with pytest.raises(BackendUnavailable):
        run_async(backends.get("registration", "/persons", token="t"))
    upload = {"file": ("a.csv", b"x", "text/csv")}
    with pytest.raises(BackendUnavailable):
        run_async(backends.request("POST", "interventions", "/imports", token="t", files=upload))
    assert len(seen) == 2
    assert "Idempotency-Key" in seen[1].headers
