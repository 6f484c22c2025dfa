"""How long the portal took on a request, and how much of that it spent waiting on the services:
a ``Server-Timing`` header on every page (``app`` the whole request up to the response's
headers, ``backend`` the time at least one service call was in flight), read by the browser's
developer tools and by ``bench.portal_pages``.

The backend time is the wall time covered by the calls, not their sum: a page's independent
calls go out together (:func:`asyncio.gather`), and three 10 ms calls made at once cost the page
10 ms. ``app - backend`` is then the portal's own work (sessions, templates, the event loop's
queue). A request's meter lives in a context variable, which the tasks ``gather`` makes copy:
they all add to the one meter of their request.

``slowest`` names the page's longest call (service, method, path with its ids as ``{id}``;
never the query, which may hold a searched name): what to look at first when a page is slow.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Clock = Callable[[], float]
HEADER = "Server-Timing"
# A path segment that names one thing (a UUID, a number): shown as ``{id}``.
_ID = re.compile(r"/(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|\d+)(?=/|$)")


def call_label(service: str, method: str, path: str) -> str:
    """What ``slowest`` says of a call: ``reporting GET /reports/org-x/2026-2027-Q3/integrity``."""
    return f"{service} {method} {_ID.sub('/{id}', path.partition('?')[0])}"


class BackendTime:
    """One request's service calls: how many, their summed duration, and the wall time during
    which at least one was in flight (seconds)."""

    def __init__(self, clock: Clock = time.perf_counter) -> None:
        self._clock = clock
        self.calls = 0
        self.summed = 0.0
        self.waited = 0.0
        self._in_flight = 0
        self._busy_since = 0.0
        self.slowest = (0.0, "")  # (seconds, call_label)

    @contextmanager
    def call(self, label: str = "") -> Iterator[None]:
        started = self._clock()
        if self._in_flight == 0:
            self._busy_since = started
        self._in_flight += 1
        try:
            yield
        finally:
            ended = self._clock()
            self._in_flight -= 1
            self.calls += 1
            self.summed += ended - started
            if ended - started > self.slowest[0]:
                self.slowest = (ended - started, label)
            if self._in_flight == 0:
                self.waited += ended - self._busy_since

    def header(self, total_seconds: float) -> str:
        header = (
            f"app;dur={total_seconds * 1000:.2f}, "
            f'backend;dur={self.waited * 1000:.2f};desc="{self.calls} calls, '
            f'{self.summed * 1000:.2f} ms summed"'
        )
        seconds, label = self.slowest
        if label:
            header += f', slowest;dur={seconds * 1000:.2f};desc="{label.replace(chr(34), "")}"'
        return header


_meter: ContextVar[BackendTime | None] = ContextVar("portal_backend_time", default=None)


@contextmanager
def backend_call(label: str = "") -> Iterator[None]:
    """Around one service call (``label``: :func:`call_label`): counted in the current
    request's meter (none outside one)."""
    meter = _meter.get()
    if meter is None:
        yield
        return
    with meter.call(label):
        yield


class ServerTimingMiddleware:
    """Outermost, so ``app`` covers the sessions and headers middleware too; the time ends when
    the response's headers go (a page is rendered before; a download's body streams after)."""

    def __init__(self, app: ASGIApp, *, clock: Clock = time.perf_counter) -> None:
        self._app = app
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self._app(scope, receive, send)
            return
        started = self._clock()
        meter = BackendTime(self._clock)
        reset = _meter.set(meter)

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(HEADER, meter.header(self._clock() - started))
            await send(message)

        try:
            await self._app(scope, receive, send_with_timing)
        finally:
            _meter.reset(reset)
