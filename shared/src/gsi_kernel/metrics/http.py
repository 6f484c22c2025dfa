"""HTTP metrics: requests counted by route TEMPLATE (never the raw path: it carries ids),
method and status, their latency, those under way — and the ``/metrics`` route.

The services' edge layer (:mod:`gsi_kernel.http.edge_layer`) moves them first and last, so
refusals by the edge (429, 503, 413) count too. The template is the route Starlette matched
(``scope["route"]``, set by its router on the scope every middleware shares), read once the
response has started; a request no route matched counts under ``<unmatched>``. Per request:
two dictionary lookups, a counter, a histogram and a gauge moved.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gsi_kernel.http.threads import in_thread
from gsi_kernel.metrics.exposition import CONTENT_TYPE, ServiceMetrics
from gsi_kernel.metrics.instruments import HTTP_DURATION, HTTP_IN_PROGRESS, HTTP_REQUESTS

METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"
# A label takes no value a client makes up: another method counts as OTHER.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope, root_path: str = "") -> str:
    """The template of the route that answered (``/persons/{person_id}``), or ``<unmatched>``.
    FastAPI's router names only its own routes in the scope; a mount (static files) shows as
    the ``root_path`` it added to the one the request came with (``root_path``)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return f"{path}/{{path}}" if isinstance(route, Mount) else path
    mounted = scope.get("root_path", "")
    if isinstance(mounted, str) and mounted != root_path and mounted.startswith(root_path):
        return f"{mounted[len(root_path) :]}/{{path}}"
    return UNMATCHED


class HttpMetrics:
    """The service's HTTP series: what the edge's layer (:mod:`gsi_kernel.http.edge_layer`) and
    :class:`HttpMetricsMiddleware` move for each request."""

    def __init__(self, service: str) -> None:
        self._service = service
        self.in_progress = HTTP_IN_PROGRESS.labels(service)
        self._counters: dict[tuple[str, str, str], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def observe(self, scope: Scope, root_path: str, status: int, elapsed_s: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope, root_path)
        counter = self._counters.get((method, route, str(status)))
        if counter is None:
            counter = HTTP_REQUESTS.labels(self._service, method, route, str(status))
            self._counters[method, route, str(status)] = counter
        counter.inc()
        timer = self._timers.get((method, route))
        if timer is None:
            timer = self._timers[method, route] = HTTP_DURATION.labels(self._service, method, route)
        timer.observe(elapsed_s)


class HttpMetricsMiddleware:
    """:class:`HttpMetrics` as a middleware of its own (the portal's; the services' edge layer
    moves them itself)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self._app = app
        self._metrics = HttpMetrics(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 500  # an exception before any response: the server answers 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self._metrics.in_progress.inc()
        try:
            await self._app(scope, receive, sending)
        finally:
            self._metrics.in_progress.dec()
            self._metrics.observe(scope, root_path, status, time.perf_counter() - started)


def metrics_router(metrics: ServiceMetrics) -> APIRouter:
    """``GET /metrics``: unauthenticated like ``/health`` (no personal data in it), and out of
    the OpenAPI document (not an API operation)."""
    router = APIRouter()

    @router.get(METRICS_PATH, include_in_schema=False)
    async def scrape() -> Response:
        body = await in_thread(metrics.render)  # collectors query the database
        return Response(body, media_type=CONTENT_TYPE)

    return router
