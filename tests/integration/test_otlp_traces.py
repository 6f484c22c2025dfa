"""Traces to an OTLP collector (issue 22 §3): the four services as separate processes on
PostgreSQL and Kafka, set only by OpenTelemetry's standard ``OTEL_*`` variables, send their
spans over OTLP/HTTP to a receiver this test runs; one declaration's trace goes from the HTTP
request through the relay's send to reporting's consumer, and one follow-up's on to
notifications' consumer too — one trace id, each span the child of the one before, the
semantic conventions' attributes on each, ``service.name`` the service's own, and no person's
id anywhere in any span.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from sqlalchemy import create_engine, text

from gsi_contracts import interventions as contract
from gsi_kernel.clock import montreal_date
from scripts.launcher import SERVICES, ServiceProcesses
from tests.people import refugee

INTERVENTIONS_TOPIC = contract.TOPIC
SERVER, PRODUCER, CONSUMER = (
    ProtoSpan.SPAN_KIND_SERVER,
    ProtoSpan.SPAN_KIND_PRODUCER,
    ProtoSpan.SPAN_KIND_CONSUMER,
)


@dataclass(frozen=True)
class Received:
    """One span as the collector got it, with its resource's ``service.name``."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


class OtlpReceiver:
    """A small OTLP/HTTP receiver (protobuf): what an OpenTelemetry collector's ``otlphttp``
    receiver does with ``POST /v1/traces``, keeping the spans for the test."""

    def __init__(self) -> None:
        self.spans: list[Received] = []
        self.requests: list[tuple[str, dict[str, str]]] = []  # path and headers of each export
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.take(self.path, {k.lower(): v for k, v in self.headers.items()}, request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the exporters post every 200 ms."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def take(self, path: str, headers: dict[str, str], request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        Received(
                            service=str(resource.get("service.name")),
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            resource=resource,
                        )
                    )
        with self._lock:
            self.requests.append((path, headers))
            self.spans.extend(found)

    def trace(self, trace_id: str) -> list[Received]:
        with self._lock:
            return [s for s in self.spans if s.trace_id == trace_id]

    def everything(self) -> list[Received]:
        with self._lock:
            return list(self.spans)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _free_base_port() -> int:
    """A base port whose next four ports are free (ServiceProcesses uses base + 1 … base + 4)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1]) - 1
        if base + 4 < 65536 and all(_free(base + n) for n in range(1, 5)):
            return base
    raise AssertionError("no four free ports in a row")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    found = OtlpReceiver()
    yield found
    found.close()


@pytest.fixture
def services(
    tmp_path: Path, postgres_url: str, kafka_bootstrap: str, receiver: OtlpReceiver
) -> Iterator[ServiceProcesses]:
    run = uuid.uuid4().hex[:8]
    env = {
        "GSI_BUS": "kafka",
        "GSI_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "GSI_KAFKA_NAMESPACE": f"otlp-{run}.",  # topics and groups of this run only
        "GSI_DATABASE_URL": postgres_url,
        "GSI_DATA_DIR": str(tmp_path),
        # OpenTelemetry's own variables, nothing of GSI's: the exporter is on because an endpoint
        # is given (base URL: /v1/traces appended), with a header and a resource attribute.
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20otlp-test-token",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=otlp-test",
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # export every 200 ms, not every 5 s
    }
    for service in SERVICES:
        env[f"GSI_{service.upper()}_DB_SCHEMA"] = f"otlp_{run}_{service}"
    processes = ServiceProcesses(env=env, log_dir=tmp_path / "logs", base_port=_free_base_port())
    try:
        processes.start(timeout_s=180)
        yield processes
    finally:
        processes.stop()
        engine = create_engine(postgres_url)
        with engine.begin() as connection:
            for service in SERVICES:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "otlp_{run}_{service}" CASCADE'))
        engine.dispose()


def _until(check: Callable[[], Any], what: str, timeout_s: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return found


def _token(http: httpx.Client, **claims: Any) -> dict[str, str]:
    answer = http.post("/dev/token", json=claims)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _created(http: httpx.Client, path: str, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    """POST until 201: interventions refuses a person until it has consumed their registration."""

    def attempt() -> httpx.Response | None:
        answer = http.post(path, headers=headers, json=body)
        assert answer.status_code in {201, 422}, f"{path}: {answer.status_code} {answer.text}"
        return answer if answer.status_code == 201 else None

    return _until(attempt, f"{path} to accept the person", timeout_s=60)  # type: ignore[no-any-return]


def _one(spans: list[Received], **wanted: Any) -> Received:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in wanted.items())]
    assert len(found) == 1, f"{wanted}: {found}"
    return found[0]


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.kafka
def test_one_declaration_is_one_trace_from_http_through_kafka_in_the_collector(
    services: ServiceProcesses, receiver: OtlpReceiver
) -> None:
    today = montreal_date(datetime.now(UTC)).isoformat()
    org = f"org-otlp-{uuid.uuid4().hex[:6]}"
    with (
        httpx.Client(base_url=services.url("registration"), timeout=15) as registration,
        httpx.Client(base_url=services.url("interventions"), timeout=15) as interventions,
    ):
        staff = _token(registration, user_id="karine", roles=["org_staff"], organization=org)
        registered = registration.post("/persons", headers=staff, json=refugee())
        assert registered.status_code == 201, registered.text
        person_id = registered.json()["person_id"]
        declaration = {
            "person_id": person_id, "code": "ACC", "service_date": today, "duration_minutes": 60,
            "mode": "in_person", "volet": "V1", "staff_member": "karine",
        }  # fmt: skip
        declared = _created(interventions, "/interventions", staff, declaration)
        follow_up = {"person_id": person_id, "destination_region": "05", "opened_on": today}
        opened = _created(interventions, "/regionalization-follow-ups", staff, follow_up)

    port = services.port("interventions")

    # The declaration: HTTP → the relay's send → reporting's consumer.
    trace_id = declared.headers["x-trace-id"]
    # Each process exports its spans in batches of its own: the consumer's may arrive before the
    # producer's, so wait for every kind the trace must hold.
    spans = _until(
        lambda: (
            (found := receiver.trace(trace_id))
            and {SERVER, PRODUCER, CONSUMER} <= {s.kind for s in found}
            and found
        ),
        "the declaration's server, send and consumer spans",
    )
    server = _one(spans, kind=SERVER)
    assert (server.service, server.name, server.parent_span_id) == (
        "interventions",
        "POST /interventions",
        "",
    )
    assert server.attributes == {
        "http.request.method": "POST",
        "http.route": "/interventions",
        "url.path": "/interventions",
        "url.scheme": "http",
        "server.address": "127.0.0.1",
        "server.port": port,
        "network.protocol.version": "1.1",
        "http.response.status_code": 201,
    }
    send = _one(spans, kind=PRODUCER)
    assert (send.service, send.name, send.parent_span_id) == (
        "interventions",
        f"send {INTERVENTIONS_TOPIC}",
        server.span_id,
    )
    assert send.attributes["messaging.system"] == "kafka"
    assert send.attributes["messaging.destination.name"] == INTERVENTIONS_TOPIC
    assert send.attributes["messaging.operation.type"] == "send"
    assert "messaging.kafka.message.key" not in send.attributes  # the stream's id
    counted = _one(spans, kind=CONSUMER, service="reporting")
    assert counted.name == f"process {INTERVENTIONS_TOPIC}"
    assert counted.parent_span_id == send.span_id
    assert counted.attributes["messaging.operation.type"] == "process"
    assert counted.attributes["messaging.consumer.group.name"] == "reporting.interventions"
    assert counted.attributes["messaging.destination.name"] == INTERVENTIONS_TOPIC
    assert isinstance(counted.attributes["messaging.kafka.offset"], int)
    assert counted.attributes["messaging.destination.partition.id"].isdigit()
    assert counted.attributes["cloudevents.event_type"] == contract.InterventionDeclared.event_type

    # The follow-up: one request whose trace reaches reporting and notifications.
    trace_id = opened.headers["x-trace-id"]

    def both_consumers() -> list[Received] | None:
        found = receiver.trace(trace_id)
        consumers = {s.service for s in found if s.kind == CONSUMER}
        kinds = {s.kind for s in found}
        return found if {"reporting", "notifications"} <= consumers and {SERVER, PRODUCER} <= kinds else None

    spans = _until(both_consumers, "the follow-up's consumer spans in reporting and notifications")
    server = _one(spans, kind=SERVER)
    assert server.name == "POST /regionalization-follow-ups"
    send = _one(spans, kind=PRODUCER)
    assert send.parent_span_id == server.span_id
    noticed = _one(spans, kind=CONSUMER, service="notifications")
    assert noticed.parent_span_id == send.span_id
    assert noticed.attributes["messaging.consumer.group.name"] == "notifications.interventions"
    assert noticed.attributes["cloudevents.event_type"] == contract.RegionalizationFollowUpOpened.event_type
    kept = _one(spans, kind=CONSUMER, service="reporting")
    assert kept.parent_span_id == send.span_id

    everything = receiver.everything()
    # Each process names itself; the resource attribute of OTEL_RESOURCE_ATTRIBUTES is on all.
    assert {s.service for s in everything} >= {"registration", "interventions", "reporting", "notifications"}
    assert {s.resource.get("deployment.environment.name") for s in everything} == {"otlp-test"}
    assert {s.resource.get("service.namespace") for s in everything} == {"gsi"}
    # The exports went where OTEL_EXPORTER_OTLP_ENDPOINT says, with OTEL_EXPORTER_OTLP_HEADERS.
    paths = {path for path, _ in receiver.requests}
    assert paths == {"/v1/traces"}
    assert {headers.get("authorization") for _, headers in receiver.requests} == {"Bearer otlp-test-token"}
    # No span names the person: their id is in URLs (/persons/{id}) and is the key of
    # registration's messages, but never in a span the collector holds.
    assert not [s for s in everything if person_id in repr((s.name, s.attributes))]
