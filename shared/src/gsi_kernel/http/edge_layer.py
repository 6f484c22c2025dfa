"""The HTTP edge of every service as ONE pure ASGI layer, outermost (issue 23).

What it does for each request, in this order (each step's reasons are in its own module):

1. whether writers wait for each other on this database (:func:`.threads.writers_wait`);
2. the HTTP metrics (:mod:`gsi_kernel.metrics.http`) and the server span and log line
   (:mod:`.tracing`), which see every answer, the edge's refusals too;
3. CORS, only where configured (Starlette's middleware, between the span and the checks below);
4. the security headers on every answer (:mod:`.headers`) and its ``X-Trace-Id``;
5. a slot among those that run at once, with the request's deadline to start (:mod:`.limits`);
6. the caller's rate (:mod:`.limits`, where enabled);
7. the body's size, announced or counted as it comes (413, :mod:`.limits`);
8. the body's media type and the URL's text (415 and 422, :mod:`.edge`);
9. the ``Idempotency-Key``, when the request carries one (:mod:`.idempotency`).

They were nine middlewares, one inside the other: every request went through each one's call,
and each answer through each one's ``send`` wrapper — about a fifth of the HTTP stack's time
in a profile of ``POST /interventions``. Here they are steps of one call, with one ``send``
wrapper for the answer's headers and status and, under a slot, one ``receive``/``send`` pair
for the body's size and the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

from opentelemetry.trace import Span, Tracer
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gsi_kernel.http.edge import MediaTypes, url_refusal
from gsi_kernel.http.headers import SecurityHeaders
from gsi_kernel.http.idempotency import STATE_CHANGING, IdempotencyMiddleware
from gsi_kernel.http.limits import (
    READ_METHODS,
    UNLIMITED_PATHS,
    BodyLimits,
    RateLimiter,
    Slots,
    refuse,
    too_large,
)
from gsi_kernel.http.threads import writers_wait
from gsi_kernel.http.tracing import answered, end_span, start_span, trace_id_of
from gsi_kernel.metrics.http import HttpMetrics
from gsi_kernel.store import deadline


class EdgeLayer:
    """The edge (see the module's note) in front of ``app``.

    ``cors``: CORSMiddleware's arguments, or None for no CORS. ``metrics``: the service's HTTP
    series, or None. ``serialised``: whether the database makes writers wait for each other
    (None: leave :func:`.threads.writers_wait` as it is)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracer: Tracer,
        headers: SecurityHeaders,
        slots: Slots,
        bodies: BodyLimits,
        media: MediaTypes,
        public_paths: Collection[str],
        rate: RateLimiter | None = None,
        cors: Mapping[str, Any] | None = None,
        metrics: HttpMetrics | None = None,
        serialised: bool | None = None,
    ) -> None:
        self._app = app
        self._tracer = tracer
        self._headers = headers
        self._slots = slots
        self._bodies = bodies
        self._media = media
        self._public = public_paths
        self._rate = rate
        self._metrics = metrics
        self._serialised = serialised
        self._idempotent = IdempotencyMiddleware(app, public_paths=frozenset(public_paths))
        self._checked: ASGIApp = CORSMiddleware(self._admit, **cors) if cors else self._admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._serialised is None:
            await self._observed(scope, receive, send)
            return
        token = writers_wait().set(self._serialised)
        try:
            await self._observed(scope, receive, send)
        finally:
            writers_wait().reset(token)

    async def _observed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Steps 2–4: metrics, span and log line, CORS, the answer's headers."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        answer = _Answer(send, scope["path"], self._headers)
        metrics = self._metrics
        if metrics is not None:
            metrics.in_progress.inc()
        try:
            with start_span(self._tracer, scope, dict(scope.get("headers") or ())) as span:
                answer.span, answer.trace_id = span, trace_id_of(span)
                try:
                    await self._checked(scope, receive, answer.send)
                finally:
                    end_span(span, scope, answer.status, started)
        finally:
            if metrics is not None:
                metrics.in_progress.dec()
                metrics.observe(scope, root_path, answer.status, time.perf_counter() - started)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Step 5: a slot (probes take none) and the deadline to start."""
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self._limited(scope, receive, send, None)
            return
        arrived = time.monotonic()
        start_by = await self._slots.take(arrived)
        if isinstance(start_by, deadline.TooBusy):
            await refuse(send, start_by, 503, {"Retry-After": str(start_by.retry_after)})
            return
        token = deadline.current().set(start_by)
        try:
            await self._limited(scope, receive, send, start_by)
        finally:
            start_by.started = True  # what the request left running (a worker's job) is not late
            deadline.current().reset(token)
            self._slots.give_back()

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, start_by: deadline.StartBy | None
    ) -> None:
        """Steps 6–9: rate, body size, media type and URL text, idempotency; then the app."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._rate is not None:
            refused = await self._rate.refusal(scope)
            if refused is not None:
                await refuse(send, refused[0], 429, refused[1])
                return
        limit = None
        if scope["method"] not in READ_METHODS:
            limit = self._bodies.limit_for(scope["method"], scope["path"])
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                await refuse(send, too_large(limit), 413)
                return
        if limit is not None or start_by is not None:
            body = _Body(receive, send, limit, start_by, self._slots.timeout_s)
            receive, send = body.receive, body.send
        refusal = await self._media.refusal(scope) or await url_refusal(scope, self._public)
        if refusal is not None:
            await refusal(scope, receive, send)
        elif scope["method"] in STATE_CHANGING and _has_header(scope, b"idempotency-key"):
            await self._idempotent(scope, receive, send)
        else:
            await self._app(scope, receive, send)


class _Answer:
    """The answer's way out: its status for the metrics and the span, the security headers and
    the ``X-Trace-Id`` on its start."""

    __slots__ = ("_headers", "_path", "_send", "span", "status", "trace_id")

    def __init__(self, send: Send, path: str, headers: SecurityHeaders) -> None:
        self._send = send
        self._path = path
        self._headers = headers
        self.status = 500  # an exception before any response: the server answers 500
        self.span: Span | None = None
        self.trace_id = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            if self.span is not None:
                answered(self.span, self.status)
            headers = message["headers"] = list(message.get("headers") or ())
            self._headers.add(self._path, headers)
            headers.append((b"x-trace-id", self.trace_id))
        await self._send(message)


class _Body:
    """The request's body as it comes: refused with 413 once more than ``limit`` bytes came (a
    body of unannounced length; None: no limit), and the deadline to start given again in full
    once the last of it came (receiving is not waiting: a large file on a slow link may take
    long). After a 413 the route sees a gone client, and what it answers is dropped."""

    __slots__ = ("_limit", "_receive", "_send", "_start_by", "_timeout_s", "received", "refused", "started")

    def __init__(
        self,
        receive: Receive,
        send: Send,
        limit: int | None,
        start_by: deadline.StartBy | None,
        timeout_s: float,
    ) -> None:
        self._receive = receive
        self._send = send
        self._limit = limit
        self._start_by = start_by
        self._timeout_s = timeout_s
        self.received = 0
        self.started = False
        self.refused = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        if self._start_by is not None and not message.get("more_body", False):
            self._start_by.deadline = max(self._start_by.deadline, time.monotonic() + self._timeout_s)
        if self._limit is not None:
            self.received += len(message.get("body", b""))
            if self.received > self._limit and not self.started:
                self.refused = True
                await refuse(self._send, too_large(self._limit), 413)
                return {"type": "http.disconnect"}  # the route stops reading: a gone client
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 is the answer
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


def _has_header(scope: Scope, wanted: bytes) -> bool:
    return any(name == wanted for name, _ in scope.get("headers") or ())
