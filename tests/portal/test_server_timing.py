"""The portal's Server-Timing header: the whole request's time and the time spent waiting on
the services, counted once when a page's calls overlap (what ``bench.portal_pages`` reads); and
the two fixes that bench led to: a connection pool per service, sniffio installed."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from portal.backend import Backends
from portal.bootstrap import build_app
from portal.settings import PortalSettings
from portal.timing import BackendTime, call_label
from tests.portal.support import run_async

pytestmark = pytest.mark.portal

DELAY_S = 0.15  # each service call of the fake services
TIMING = re.compile(
    r'app;dur=([\d.]+), backend;dur=([\d.]+);desc="(\d+) calls, ([\d.]+) ms summed"'
    r'(?:, slowest;dur=([\d.]+);desc="([^"]+)")?'
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_overlapping_calls_count_once_in_the_wait_and_fully_in_the_sum() -> None:
    clock = FakeClock()
    meter = BackendTime(clock)
    with meter.call():  # 0 → 3
        clock.now = 1.0
        with meter.call():  # 1 → 2, inside the first
            clock.now = 2.0
        clock.now = 3.0
    clock.now = 5.0
    with meter.call():  # 5 → 6, alone
        clock.now = 6.0
    assert meter.calls == 3
    assert meter.summed == pytest.approx(3.0 + 1.0 + 1.0)
    assert meter.waited == pytest.approx(3.0 + 1.0)  # not the 5 s summed
    assert meter.header(8.0) == 'app;dur=8000.00, backend;dur=4000.00;desc="3 calls, 5000.00 ms summed"'


def test_the_slowest_call_is_named_by_its_service_and_path_without_ids_nor_query() -> None:
    clock = FakeClock()
    meter = BackendTime(clock)
    person = "/persons/0b7d3c1e-4f2a-4c3b-9d8e-112233445566/events/12"
    with meter.call(call_label("registration", "GET", f"{person}?q=Tremblay")):
        clock.now = 0.5
    with meter.call(call_label("reporting", "GET", "/reports/org-x/2026-2027-Q3/integrity")):
        clock.now = 2.5
    with meter.call(call_label("notifications", "GET", "/inbox")):
        clock.now = 3.0
    assert meter.header(4.0).endswith(
        ', slowest;dur=2000.00;desc="reporting GET /reports/org-x/2026-2027-Q3/integrity"'
    )
    assert call_label("registration", "GET", f"{person}?q=Tremblay") == (
        "registration GET /persons/{id}/events/{id}"
    )


async def slow_services(request: httpx.Request) -> httpx.Response:
    """The services, each call answering after ``DELAY_S``."""
    await asyncio.sleep(DELAY_S)
    return httpx.Response(200, json={"path": request.url.path})


async def probe(request: Request) -> PlainTextResponse:
    """A page's shape: two independent calls made together, then one that needs them."""
    backends: Backends = request.app.state.backends
    await asyncio.gather(
        backends.get("reporting", "/reports", token="t"), backends.get("notifications", "/inbox", token="t")
    )
    await backends.get("interventions", "/interventions", token="t")
    return PlainTextResponse("ok")


@pytest.fixture
def portal() -> Iterator[TestClient]:
    settings = PortalSettings(auth_mode="development", dev_users=[])
    app = build_app(settings, transport=httpx.MockTransport(slow_services))
    app.add_api_route("/probe", probe)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def timing_of(response: httpx.Response) -> tuple[float, float, int, float]:
    found = TIMING.fullmatch(response.headers["server-timing"])
    assert found, response.headers["server-timing"]
    return float(found[1]), float(found[2]), int(found[3]), float(found[4])


def test_a_page_says_its_time_and_the_time_waited_on_its_calls_made_together_once(
    portal: TestClient,
) -> None:
    answer = portal.get("/probe")
    assert answer.status_code == 200, answer.text
    app_ms, backend_ms, calls, summed_ms = timing_of(answer)
    delay_ms = DELAY_S * 1000
    assert calls == 3
    assert summed_ms >= 3 * delay_ms
    assert backend_ms >= 2 * delay_ms  # the pair, then the third
    assert summed_ms - backend_ms >= 0.7 * delay_ms  # the two made together waited for once
    assert backend_ms <= app_ms
    slowest = TIMING.fullmatch(answer.headers["server-timing"])
    calls = {"reporting GET /reports", "notifications GET /inbox", "interventions GET /interventions"}
    assert slowest is not None
    assert slowest[6] in calls
    assert float(slowest[5]) >= delay_ms


def test_a_page_without_service_calls_waited_on_none(portal: TestClient) -> None:
    app_ms, backend_ms, calls, summed_ms = timing_of(portal.get("/signin"))
    assert (calls, backend_ms, summed_ms) == (0, 0, 0)
    assert app_ms > 0


def test_requests_in_parallel_each_count_their_own_calls(portal: TestClient) -> None:
    """The meter is the request's own (a context variable), not the app's."""

    async def both() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=portal.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
            return list(await asyncio.gather(client.get("/probe"), client.get("/probe")))

    for answer in run_async(both()):
        assert timing_of(answer)[2] == 3


def test_static_files_carry_no_timing(portal: TestClient) -> None:
    answer = portal.get("/static/css/portal.css")
    assert answer.status_code == 200
    assert "server-timing" not in answer.headers


def test_httpcore_finds_sniffio() -> None:
    """httpcore imports sniffio on every lock it makes; without it each import failed after
    searching the whole path, 13 % of the portal's CPU under load (bench.portal_pages)."""
    assert importlib.util.find_spec("sniffio") is not None


def test_a_service_that_holds_its_connections_does_not_hold_the_others() -> None:
    """A pool per service: one whose every connection waits on a stuck answer leaves the other
    services' calls their own connections (one pool for the four made them wait behind it)."""

    async def scenario() -> None:
        async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(30)

        async def quick(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
            writer.close()

        servers = [await asyncio.start_server(handler, "127.0.0.1", 0) for handler in (stuck, quick)]
        stuck_url, quick_url = (f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}" for s in servers)
        settings = PortalSettings(
            reporting_url=stuck_url,
            notifications_url=quick_url,
            backend_max_connections=1,
            backend_timeout_seconds=3,
        )
        backends = Backends(settings)
        try:
            held = asyncio.create_task(backends.get("reporting", "/reports", token="t"))
            await asyncio.sleep(0.2)  # reporting's one connection now waits on the stuck answer
            assert await asyncio.wait_for(backends.get("notifications", "/inbox", token="t"), 2) == {}
            held.cancel()
        finally:
            await backends.aclose()
            for server in servers:
                server.close()

    run_async(scenario())
