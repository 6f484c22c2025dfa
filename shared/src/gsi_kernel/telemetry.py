"""Tracing and structured logs.

One trace runs from an HTTP request, through the event it appends (its envelope keeps the W3C
``traceparent``), the outbox, the relay's publish (the ``traceparent`` Kafka header), and into
each consumer that applies it. The composition root builds one :class:`Telemetry` per process;
nothing here touches OpenTelemetry's global provider, and nothing connects before a batch of
spans is exported.

Spans go to the trace file (``GSI_TRACE_FILE``, JSON lines) and, as OpenTelemetry's standard
``OTEL_*`` variables ask, to an OTLP/HTTP collector or the console (:class:`TraceExport`;
docs/tracing.md). The spans' attributes follow OpenTelemetry's semantic conventions (HTTP
server, messaging): :mod:`gsi_kernel.http.tracing`, :mod:`gsi_kernel.relay`,
:mod:`gsi_kernel.consumer`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME, SERVICE_NAMESPACE
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.re import parse_env_headers

from gsi_kernel.failures import RedactingFilter

log = logging.getLogger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()

DEFAULT_OTLP_ENDPOINT = "http://localhost:4318"  # the OTLP/HTTP port of a local collector
TRACES_PATH = "v1/traces"
EXPORTERS = frozenset({"otlp", "console"})  # what OTEL_TRACES_EXPORTER may name, besides none


@dataclass(frozen=True)
class TraceExport:
    """Where spans go besides the trace file, as OpenTelemetry's standard variables say.

    - ``OTEL_TRACES_EXPORTER``: ``otlp``, ``console``, both (``otlp,console``) or ``none``.
      Unset, it is ``otlp`` when an OTLP endpoint is given and ``none`` otherwise: a service
      started without any ``OTEL_*`` variable (``make run``, the tests) never tries to reach a
      collector that is not there (the SDK's own default would be ``otlp`` to localhost:4318).
    - ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is the traces URL as it is;
      ``OTEL_EXPORTER_OTLP_ENDPOINT`` is the collector's base URL, ``/v1/traces`` appended.
    - ``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` else ``OTEL_EXPORTER_OTLP_HEADERS``: ``k=v,k2=v2``,
      values percent-encoded (e.g. a tenant or an API key).
    - ``OTEL_SERVICE_NAME`` else ``service.name`` of ``OTEL_RESOURCE_ATTRIBUTES`` else the
      service's own name; ``OTEL_RESOURCE_ATTRIBUTES`` (``k=v,…``) adds to the resource.
    - ``OTEL_SDK_DISABLED=true`` turns both exporters off (the trace file stays as set).

    The exporter reads the other standard variables itself (``…_TIMEOUT``, ``…_COMPRESSION``,
    ``…_CERTIFICATE``, ``…_CLIENT_KEY``), as does the batch processor (``OTEL_BSP_*``).
    """

    exporters: frozenset[str] = frozenset()
    endpoint: str = f"{DEFAULT_OTLP_ENDPOINT}/{TRACES_PATH}"
    headers: Mapping[str, str] = field(default_factory=dict)
    resource: Mapping[str, str] = field(default_factory=dict)  # without service.name
    service_name: str | None = None  # None: the service's own name

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> TraceExport:
        resource = _resource_attributes(environ.get("OTEL_RESOURCE_ATTRIBUTES", ""))
        named_in_resource = resource.pop(SERVICE_NAME, "")
        service_name = environ.get("OTEL_SERVICE_NAME", "").strip() or named_in_resource or None
        traces_endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
        base_endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        if traces_endpoint:
            endpoint = traces_endpoint
        else:
            endpoint = f"{(base_endpoint or DEFAULT_OTLP_ENDPOINT).removesuffix('/')}/{TRACES_PATH}"
        headers = parse_env_headers(
            environ.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or environ.get("OTEL_EXPORTER_OTLP_HEADERS", ""),
            liberal=True,
        )
        named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
        if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            exporters: frozenset[str] = frozenset()
        elif named:
            exporters = _exporters(named)
        else:
            exporters = frozenset({"otlp"}) if traces_endpoint or base_endpoint else frozenset()
        return cls(exporters, endpoint, headers, resource, service_name)

    def span_exporters(self) -> list[SpanExporter]:
        """The exporters asked for, built now: none of them connects before its first export."""
        built: list[SpanExporter] = []
        if "otlp" in self.exporters:
            # Imported here: a service that exports nowhere does not load the HTTP client.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            built.append(OTLPSpanExporter(endpoint=self.endpoint, headers=dict(self.headers)))
        if "console" in self.exporters:
            built.append(ConsoleSpanExporter(out=sys.stdout))  # the process's stdout now, not at import
        return built


def _exporters(named: str) -> frozenset[str]:
    """The exporters a comma-separated ``OTEL_TRACES_EXPORTER`` names; an unknown name (``zipkin``)
    is said in the log and left out, as the specification asks, rather than stop the service."""
    names = {n.strip() for n in named.split(",") if n.strip()}
    if names == {"none"}:
        return frozenset()
    for unknown in sorted(names - EXPORTERS - {"none"}):
        log.warning("OTEL_TRACES_EXPORTER: %r is not an exporter GSI knows (otlp, console, none)", unknown)
    return frozenset(names & EXPORTERS)


def _resource_attributes(text: str) -> dict[str, str]:
    """``OTEL_RESOURCE_ATTRIBUTES``: ``key=value`` pairs separated by commas, values
    percent-encoded; a pair without ``=`` is skipped."""
    attributes: dict[str, str] = {}
    for pair in text.split(","):
        key, equals, value = pair.partition("=")
        if equals and key.strip():
            attributes[key.strip()] = unquote(value.strip())
    return attributes


class JsonLinesSpanExporter(SpanExporter):
    """Writes finished spans, one JSON object a line (for local runs and the end-to-end tests)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(_span_dict(s), default=str) for s in spans]
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing held open between exports."""


def _span_dict(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.get_span_context()
    parent = span.parent
    return {
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": f"{ctx.trace_id:032x}" if ctx else None,
        "span_id": f"{ctx.span_id:016x}" if ctx else None,
        "parent_span_id": f"{parent.span_id:016x}" if parent else None,
        "start": span.start_time,
        "end": span.end_time,
        "attributes": dict(span.attributes or {}),
    }


class Telemetry:
    """The process's tracer provider and its exporters: the trace file when ``trace_file`` is
    set, and those ``export`` asks for (the composition root's are the process's ``OTEL_*``
    variables', :meth:`from_environment`; a test's telemetry exports nowhere else)."""

    def __init__(
        self, service_name: str, *, trace_file: Path | None = None, export: TraceExport | None = None
    ) -> None:
        export = export or TraceExport()
        attributes = {
            SERVICE_NAMESPACE: "gsi",
            **export.resource,
            SERVICE_NAME: export.service_name or service_name,
        }
        self.provider = TracerProvider(resource=Resource.create(attributes))
        if trace_file is not None:
            self.provider.add_span_processor(
                BatchSpanProcessor(JsonLinesSpanExporter(trace_file), schedule_delay_millis=200)
            )
        for exporter in export.span_exporters():
            self.provider.add_span_processor(BatchSpanProcessor(exporter))  # OTEL_BSP_* apply
        self.tracer = self.provider.get_tracer("gsi")

    @classmethod
    def from_environment(cls, service_name: str, *, trace_file: Path | None = None) -> Telemetry:
        """The composition root's: the trace file, and the exporters the process's ``OTEL_*``
        variables ask for (read now, when the kernel is built, never at import)."""
        return cls(service_name, trace_file=trace_file, export=TraceExport.from_environment(os.environ))

    def shutdown(self) -> None:
        self.provider.shutdown()


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, if there is one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> Context:
    """A context whose parent is the span ``traceparent`` names (an empty one if None)."""
    if not traceparent:
        return otel_context.Context()
    return _PROPAGATOR.extract({"traceparent": traceparent})


def trace_id_of(traceparent: str | None) -> str | None:
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 else None


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line, with the trace and span ids when a span is active."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            doc["trace_id"] = f"{span_context.trace_id:032x}"
            doc["span_id"] = f"{span_context.span_id:016x}"
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            doc.update(extra)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send the process's logs to stderr as JSON lines (called by the composition root)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service))
    handler.addFilter(RedactingFilter())  # no logged error echoes the data it was about
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
