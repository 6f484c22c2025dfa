"""A server span and one structured log line for every HTTP request; the span is the child of
the caller's ``traceparent`` if it sent one.

The span follows OpenTelemetry's HTTP server conventions: named ``METHOD /route`` (the route's
template, ``POST /interventions/{intervention_id}/corrections``; the method alone when no
route matched; ``HTTP`` for a method the conventions do not know), with
``http.request.method``, ``http.route``, ``url.path``, ``url.scheme``, ``server.address``,
``server.port``, ``network.protocol.version``, ``http.response.status_code`` and, for a 5xx,
``error.type``. A trace may leave for a collector
run by someone else, so it carries no identifier of a person: ``url.path`` of a matched route is
its template (the path's ids — persons, users, organizations — left out, as the conventions
allow for sensitive content), the query string and the client's address are not recorded. The
log line keeps the path as it came, next to the trace id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_METHOD_ORIGINAL,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.network_attributes import NETWORK_PROTOCOL_VERSION
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_PATH, URL_SCHEME
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import Scope

from gsi_kernel.telemetry import context_from_traceparent

log = logging.getLogger("gsi.http")

# The methods the conventions know; any other is recorded as ``_OTHER`` and the span named
# ``HTTP …`` (a client may send anything, and a span name must not carry it).
KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)


def start_span(tracer: trace.Tracer, scope: Scope, headers: Mapping[bytes, bytes]) -> Any:
    """The request's server span (a context manager making it current), named by its method
    until the router has found the route (:func:`end_span`)."""
    parent = headers.get(b"traceparent", b"").decode() or None
    return tracer.start_as_current_span(
        _method_word(scope),
        context=context_from_traceparent(parent),
        kind=SpanKind.SERVER,
        attributes=request_attributes(scope, headers),
    )


def answered(span: trace.Span, status: int) -> None:
    """The response's status on the span (a 5xx makes it an error)."""
    span.set_attribute(HTTP_RESPONSE_STATUS_CODE, status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute(ERROR_TYPE, str(status))


def end_span(span: trace.Span, scope: Scope, status: int, started: float) -> None:
    """Name the span after the route that answered, and log the request's line."""
    route = route_of(scope)
    if route is not None:
        span.update_name(f"{_method_word(scope)} {route}")
        span.set_attributes({HTTP_ROUTE: route, URL_PATH: route})
    if log.isEnabledFor(logging.INFO):
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        log.info("%s %s %s", scope["method"], scope["path"], status, extra={"fields": fields})


def trace_id_of(span: trace.Span) -> bytes:
    """The ``X-Trace-Id`` header's value."""
    return f"{span.get_span_context().trace_id:032x}".encode()


def _method_word(scope: Scope) -> str:
    return str(scope["method"]) if scope["method"] in KNOWN_METHODS else "HTTP"  # the conventions' word


def request_attributes(scope: Scope, headers: Mapping[bytes, bytes]) -> dict[str, Any]:
    """What is known of the request before it is routed (``url.path``: the raw path, replaced by
    the route's template once one matched)."""
    attributes: dict[str, Any] = {
        HTTP_REQUEST_METHOD: scope["method"] if scope["method"] in KNOWN_METHODS else "_OTHER",
        URL_PATH: scope["path"],
        URL_SCHEME: scope.get("scheme", "http"),
    }
    if scope["method"] not in KNOWN_METHODS:
        attributes[HTTP_REQUEST_METHOD_ORIGINAL] = scope["method"][:32]
    if scope.get("http_version"):
        attributes[NETWORK_PROTOCOL_VERSION] = scope["http_version"]
    address, port = _server_of(scope, headers.get(b"host", b"").decode("latin-1")[:255])
    if address:
        attributes[SERVER_ADDRESS] = address
    if port is not None:
        attributes[SERVER_PORT] = port
    return attributes


def route_of(scope: Scope) -> str | None:
    """The template of the route the router matched (Starlette leaves it in the scope), or None."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else None


def _server_of(scope: Scope, host: str) -> tuple[str | None, int | None]:
    """The server's name and port as the client addressed it (the ``Host`` header), else the
    socket's."""
    if host:
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if name and port.isdigit():
            return name.strip("[]"), int(port)
        return host.strip("[]"), None
    server = scope.get("server")
    if server:
        return str(server[0]), int(server[1]) if server[1] is not None else None
    return None, None
