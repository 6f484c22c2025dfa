"""A request that waited too long to start is answered 503 and never runs (issue 19: a client
gave up after 20 s and its command ran a minute later, re-locking a quarter)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from gsi_kernel.http import threads
from interventions.bootstrap import build, build_app
from interventions.settings import InterventionsSettings
from tests.api.conftest import NOW, InterventionsService
from tests.api.test_interventions import details, staff
from tests.consumers import outbox_events
from tests.databases import postgres_schema

ORG = "org-sherbrooke"
QUEUE_TIMEOUT_S = 0.5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def one_at_a_time(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InterventionsService]:
    """Interventions running one request at a time, each allowed half a second to start."""
    limits: dict[str, Any] = {"http_max_concurrency": 1, "http_queue_timeout_s": QUEUE_TIMEOUT_S}
    with ExitStack() as stack:
        settings = InterventionsSettings(data_dir=tmp_path, **limits)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = InterventionsSettings(data_dir=tmp_path, database_url=url, db_schema=schema, **limits)
        container = build(settings, clock=FixedClock(NOW))
        kernel = container.kernel
        with TestClient(build_app(container)) as client:
            yield InterventionsService(client, kernel.clock, kernel)  # type: ignore[arg-type]
        kernel.db.dispose()


def declared(service: InterventionsService) -> int:
    return sum(1 for e in outbox_events(service.kernel) if e.type == "interventions.InterventionDeclared")


def assert_refused_late(answer: httpx.Response, code: str) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    body = answer.json()
    assert body["code"] == code
    assert "n'a pas été exécutée" in body["message"]["fr"]
    assert "not executed" in body["message"]["en"]


def test_a_request_that_waits_past_the_deadline_in_line_is_503_and_never_runs(
    one_at_a_time: InterventionsService,
) -> None:
    service = one_at_a_time
    first, second = service.register_person(ORG), service.register_person(ORG)
    headers = staff(service)

    async def slow_body() -> AsyncIterator[bytes]:
        """The first request holds the only slot while its body trickles in."""
        yield b'{"person_id": "' + first.encode()
        await asyncio.sleep(QUEUE_TIMEOUT_S * 3)
        yield b'", ' + json.dumps(details())[1:].encode()

    async def both() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=service.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gsi") as client:
            slow = asyncio.create_task(
                client.post(
                    "/interventions",
                    content=slow_body(),
                    headers={**headers, "Content-Type": "application/json"},
                )
            )
            await asyncio.sleep(0.1)
            started = time.monotonic()
            late = await client.post(
                "/interventions", json={"person_id": second, **details()}, headers=headers
            )
            assert time.monotonic() - started < QUEUE_TIMEOUT_S * 2  # refused at the deadline
            return await slow, late

    slow, late = asyncio.run(both())
    assert_refused_late(late, "service.overloaded")
    assert slow.status_code == 201, slow.text
    assert declared(service) == 1  # the refused one never ran
    retried = service.client.post("/interventions", json={"person_id": second, **details()}, headers=headers)
    assert retried.status_code == 201, retried.text


def test_a_request_that_waits_past_the_deadline_for_a_thread_is_503_before_any_write(
    tmp_path: Path,
) -> None:
    """On SQLite a command runs in a command thread; one that waited for a thread past its
    deadline is refused at its first transaction, before anything is written."""
    settings = InterventionsSettings(data_dir=tmp_path, http_queue_timeout_s=QUEUE_TIMEOUT_S)
    container = build(settings, clock=FixedClock(NOW))
    kernel = container.kernel
    with TestClient(build_app(container)) as client:
        service = InterventionsService(client, kernel.clock, kernel)  # type: ignore[arg-type]
        person = service.register_person(ORG)
        headers = staff(service)
        release = threading.Event()
        busy = [threads._COMMANDS.submit(release.wait, 10) for _ in range(threads._COMMANDS._max_workers)]
        timer = threading.Timer(QUEUE_TIMEOUT_S * 2, release.set)
        timer.start()
        try:
            late = client.post("/interventions", json={"person_id": person, **details()}, headers=headers)
        finally:
            release.set()
            timer.join()
            for job in busy:
                job.result()
        assert_refused_late(late, "service.request_expired")
        assert declared(service) == 0
        again = client.post("/interventions", json={"person_id": person, **details()}, headers=headers)
        assert again.status_code == 201, again.text
        assert declared(service) == 1
