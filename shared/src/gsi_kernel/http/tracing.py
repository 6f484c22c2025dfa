"""A server span and one structured log line for every HTTP request; the span is the child of
the caller's ``traceparent`` if it sent one."""

from __future__ import annotations

import logging
import time

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gsi_kernel.telemetry import context_from_traceparent

log = logging.getLogger("gsi.http")


class TracingMiddleware:
    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        self._app = app
        self._tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        parent = headers.get(b"traceparent", b"").decode() or None
        name = f"{scope['method']} {scope['path']}"
        with self._tracer.start_as_current_span(
            name,
            context=context_from_traceparent(parent),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        ) as span:
            trace_id = f"{span.get_span_context().trace_id:032x}"
            started = time.perf_counter()
            status = {"code": 500}

            async def send_with_trace(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    message.setdefault("headers", []).append((b"x-trace-id", trace_id.encode()))
                await send(message)

            try:
                await self._app(scope, receive, send_with_trace)
            finally:
                fields = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                }
                log.info("%s %s %s", scope["method"], scope["path"], status["code"], extra={"fields": fields})
