"""The relay's send spans and the consumers' process spans (gsi_kernel.message_spans): their
names, kinds, parents and OpenTelemetry's messaging attributes; a batch's messages of one trace
and topic under one span; a failed send said on its span; never the message's key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.port import Message, PublishError, Record
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.message_spans import SendSpans, messaging_system, process_span

PARENT = f"00-{'a' * 32}-{'1' * 16}-01"
OTHER = f"00-{'b' * 32}-{'2' * 16}-01"
PERSON = "6f1c2b9e-5d3a-4c1e-9f7b-0a1b2c3d4e5f"  # a stream id: the key of registration's messages


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(spans: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return provider


def _message(topic: str, event_id: str, traceparent: str | None = PARENT) -> Message:
    headers = [("ce_id", event_id.encode()), ("ce_type", b"registration.PersonRegistered")]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return Message(topic, PERSON, b'{"id": 1}', tuple(headers))


def _traceparent(message: Message) -> str:
    return next(v.decode() for k, v in message.headers if k == "traceparent")


def _span_id(span: ReadableSpan) -> str:
    context = span.get_span_context()
    assert context is not None
    return f"{context.span_id:016x}"


def test_a_batch_s_messages_of_one_trace_and_topic_share_one_send_span(
    provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    with SendSpans(provider.get_tracer("t")) as sending:
        sent = [
            sending.traced(_message("gsi.registration", "e1")),
            sending.traced(_message("gsi.registration", "e2")),
            sending.traced(_message("gsi.registration", "e3", OTHER)),
            sending.traced(_message("gsi.registration", "e4", None)),
        ]
    batch, single = sorted(
        spans.get_finished_spans(), key=lambda s: str((s.attributes or {}).get("messaging.message.id", ""))
    )
    assert (batch.name, batch.kind) == ("send gsi.registration", SpanKind.PRODUCER)
    assert batch.parent is not None
    assert f"{batch.parent.trace_id:032x}" == "a" * 32
    assert dict(batch.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.destination.name": "gsi.registration",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.batch.message_count": 2,
    }
    assert single.attributes is not None
    assert single.attributes["messaging.message.id"] == "e3"  # one message: the span says which
    assert single.attributes["messaging.message.body.size"] == 9
    # Each message now names its send span as its parent; one without a trace is left as it was.
    assert _traceparent(sent[0]) == _traceparent(sent[1]) == f"00-{'a' * 32}-{_span_id(batch)}-01"
    assert _traceparent(sent[2]) == f"00-{'b' * 32}-{_span_id(single)}-01"
    assert sent[3] == _message("gsi.registration", "e4", None)
    # The key is the stream's id — a person's, on registration's topic: never in a span.
    assert all(PERSON not in repr(dict(s.attributes or {})) for s in spans.get_finished_spans())


def test_a_send_that_fails_ends_its_spans_as_errors(
    provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    def send_refused() -> None:
        with SendSpans(provider.get_tracer("t")) as sending:
            sending.traced(_message("gsi.registration", "e1"))
            raise PublishError("not acknowledged")

    with pytest.raises(PublishError):
        send_refused()
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "PublishError"
    assert [e.name for e in span.events] == ["exception"]


def test_a_process_span_is_the_child_of_the_record_s_traceparent(
    provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    now = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    envelope = EventEnvelope(
        event_id="0c5e2f4a-8b1d-4f3e-9a7c-6d5e4f3a2b1c", type="registration.PersonRegistered",
        schema_version=1, source="gsi/registration", stream_id=PERSON, stream_version=1,
        occurred_at=now, recorded_at=now, actor="karine", organization="org-a",
        correlation_id="c", causation_id=None, traceparent=PARENT,
    )  # fmt: skip
    record = Record("gsi.registration", 2, 41, PERSON, envelope.to_bytes())
    with process_span(
        provider.get_tracer("t"), record, envelope, group="interventions.persons", traceparent=PARENT
    ):
        pass
    (span,) = spans.get_finished_spans()
    assert (span.name, span.kind) == ("process gsi.registration", SpanKind.CONSUMER)
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == "1" * 16
    assert f"{span.get_span_context().trace_id:032x}" == "a" * 32  # type: ignore[union-attr]
    assert dict(span.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "gsi.registration",
        "messaging.destination.partition.id": "2",
        "messaging.consumer.group.name": "interventions.persons",
        "messaging.kafka.offset": 41,
        "messaging.message.id": envelope.event_id,
        "cloudevents.event_id": envelope.event_id,
        "cloudevents.event_type": "registration.PersonRegistered",
    }


def test_the_embedded_log_is_not_called_kafka(tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db")
    producer = bus.producer()
    try:
        assert messaging_system(bus) == messaging_system(producer) == "gsi_embedded_log"
        assert messaging_system(object()) == "kafka"
    finally:
        producer.close()
        bus.close()
