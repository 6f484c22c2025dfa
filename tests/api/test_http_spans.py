"""Each request's server span follows OpenTelemetry's HTTP conventions (gsi_kernel.http.tracing,
docs/tracing.md): named after its route's template, the conventions' attributes, the child of
the caller's ``traceparent`` — and no id of a person from the path in it."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.api.conftest import Registration

PERSON = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _spans(registration: Registration) -> InMemorySpanExporter:
    spans = InMemorySpanExporter()
    registration.kernel.telemetry.provider.add_span_processor(SimpleSpanProcessor(spans))
    return spans


def _server_spans(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]


def test_a_routed_request_is_named_by_its_route_and_keeps_no_id_of_the_path(
    registration: Registration,
) -> None:
    spans = _spans(registration)
    headers = {
        **registration.headers("karine", ["org_staff"], "org-a"),
        "traceparent": f"00-{'c' * 32}-{'3' * 16}-01",
        "host": "registration.gsi.example:8443",
    }
    answer = registration.client.get(f"/persons/{PERSON}", headers=headers)
    assert answer.status_code == 404
    span = _server_spans(spans)[-1]  # after the token's request
    assert span.name == "GET /persons/{person_id}"
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == "3" * 16
    assert answer.headers["x-trace-id"] == "c" * 32
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "http.route": "/persons/{person_id}",
        "url.path": "/persons/{person_id}",  # the template: the person's id stays out
        "url.scheme": "http",
        "server.address": "registration.gsi.example",
        "server.port": 8443,
        "network.protocol.version": "1.1",
        "http.response.status_code": 404,
    }


def test_a_request_no_route_takes_is_named_by_its_method_alone(registration: Registration) -> None:
    spans = _spans(registration)
    assert registration.client.get("/nowhere").status_code == 404
    assert registration.client.request("BREW", "/health").status_code == 405
    nowhere, brew = _server_spans(spans)
    assert nowhere.name == "GET"
    assert nowhere.attributes is not None
    assert "http.route" not in nowhere.attributes
    assert nowhere.attributes["url.path"] == "/nowhere"
    assert nowhere.attributes["server.address"] == "testserver"
    # A method the conventions do not know is _OTHER, its own name kept aside.
    assert brew.name == "HTTP /health"
    assert brew.attributes is not None
    assert brew.attributes["http.request.method"] == "_OTHER"
    assert brew.attributes["http.request.method_original"] == "BREW"
    assert brew.attributes["http.response.status_code"] == 405
