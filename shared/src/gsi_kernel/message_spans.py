"""The spans of messages: the relay's send (kind PRODUCER) and a consumer's process (kind
CONSUMER), with OpenTelemetry's messaging conventions (docs/tracing.md).

The relay sends a batch of outbox rows at once. Its messages that share a trace and a topic get
one send span (``messaging.batch.message_count`` when more than one), whose ``traceparent``
replaces theirs: an import's 100,000 messages make 200 spans, not 100,000, while each
declaration still has its own. The span lasts as long as the send, acknowledgement included,
and says so when the send failed. A consumer's process span is the child of the ``traceparent``
its record carries, so one trace runs from the HTTP request to every consumer that applied it.

No span carries an identifier of a person: a message's key is its stream's id, which on
registration's topic *is* the person's, so ``messaging.kafka.message.key`` is never recorded
(the event's id, ``messaging.message.id``, names an event, not a person). Topics and consumer
groups are named as the services name them, without ``GSI_KAFKA_NAMESPACE``'s prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes.cloudevents_attributes import (
    CLOUDEVENTS_EVENT_ID,
    CLOUDEVENTS_EVENT_TYPE,
)
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_BATCH_MESSAGE_COUNT,
    MESSAGING_CONSUMER_GROUP_NAME,
    MESSAGING_DESTINATION_NAME,
    MESSAGING_DESTINATION_PARTITION_ID,
    MESSAGING_KAFKA_OFFSET,
    MESSAGING_MESSAGE_BODY_SIZE,
    MESSAGING_MESSAGE_ID,
    MESSAGING_OPERATION_NAME,
    MESSAGING_OPERATION_TYPE,
    MESSAGING_SYSTEM,
    MessagingOperationTypeValues,
    MessagingSystemValues,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from gsi_kernel.bus.port import Message, Record
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.telemetry import context_from_traceparent

SEND = MessagingOperationTypeValues.SEND.value
PROCESS = MessagingOperationTypeValues.PROCESS.value
KAFKA = MessagingSystemValues.KAFKA.value
# The embedded log (a SQLite file, development only) is no system the conventions name.
EMBEDDED = "gsi_embedded_log"


def messaging_system(client: object) -> str:
    """``messaging.system`` of a bus, producer or consumer: ``kafka`` unless it says otherwise
    (the embedded log's classes do, with a ``messaging_system`` attribute)."""
    system = getattr(client, "messaging_system", KAFKA)
    return system if isinstance(system, str) else KAFKA


@dataclass
class _Send:
    span: Span
    traceparent: str
    messages: int = 0
    message_id: str | None = None
    body_size: int | None = None


class SendSpans:
    """One send span per trace and topic of a batch (a context manager around the send):
    :meth:`traced` gives each message the ``traceparent`` of its span; leaving the block ends
    the spans, with the error when the send raised."""

    def __init__(self, tracer: trace.Tracer, system: str = KAFKA) -> None:
        self._tracer = tracer
        self._system = system
        self._spans: dict[tuple[str, str], _Send] = {}

    def __enter__(self) -> SendSpans:
        return self

    def traced(self, message: Message) -> Message:
        """``message`` with the ``traceparent`` of its send span (as it is when it has none: a
        message no trace led to starts none)."""
        parent = next((v.decode() for k, v in message.headers if k == "traceparent"), None)
        if parent is None:
            return message
        send = self._spans.get((parent, message.topic))
        if send is None:
            span = self._tracer.start_span(
                f"send {message.topic}",
                context=context_from_traceparent(parent),
                kind=SpanKind.PRODUCER,
                attributes={
                    MESSAGING_SYSTEM: self._system,
                    MESSAGING_DESTINATION_NAME: message.topic,
                    MESSAGING_OPERATION_TYPE: SEND,
                    MESSAGING_OPERATION_NAME: SEND,
                },
            )
            carrier = span.get_span_context()
            traceparent = f"00-{carrier.trace_id:032x}-{carrier.span_id:016x}-{carrier.trace_flags:02x}"
            send = self._spans[parent, message.topic] = _Send(span, traceparent)
        send.messages += 1
        send.message_id = next((v.decode() for k, v in message.headers if k == "ce_id"), None)
        send.body_size = len(message.value) if message.value is not None else None
        headers = tuple((k, v) for k, v in message.headers if k != "traceparent")
        return Message(
            message.topic, message.key, message.value, (*headers, ("traceparent", send.traceparent.encode()))
        )

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        for send in self._spans.values():
            if send.messages > 1:
                send.span.set_attribute(MESSAGING_BATCH_MESSAGE_COUNT, send.messages)
            else:  # one message: the span is its creation context, and says which it was
                if send.message_id is not None:
                    send.span.set_attribute(MESSAGING_MESSAGE_ID, send.message_id)
                if send.body_size is not None:
                    send.span.set_attribute(MESSAGING_MESSAGE_BODY_SIZE, send.body_size)
            if error is not None:
                send.span.record_exception(error)
                send.span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
                send.span.set_attribute(ERROR_TYPE, type(error).__qualname__)
            send.span.end()
        self._spans.clear()


@contextmanager
def process_span(
    tracer: trace.Tracer,
    record: Record,
    envelope: EventEnvelope,
    *,
    group: str,
    traceparent: str | None,
    system: str = KAFKA,
) -> Iterator[Span]:
    """The span of a consumer applying ``record``: the child of ``traceparent`` (the record's)."""
    with tracer.start_as_current_span(
        f"process {record.topic}",
        context=context_from_traceparent(traceparent),
        kind=SpanKind.CONSUMER,
        attributes={
            MESSAGING_SYSTEM: system,
            MESSAGING_OPERATION_TYPE: PROCESS,
            MESSAGING_OPERATION_NAME: PROCESS,
            MESSAGING_DESTINATION_NAME: record.topic,
            MESSAGING_DESTINATION_PARTITION_ID: str(record.partition),
            MESSAGING_CONSUMER_GROUP_NAME: group,
            MESSAGING_KAFKA_OFFSET: record.offset,
            MESSAGING_MESSAGE_ID: envelope.event_id,
            CLOUDEVENTS_EVENT_ID: envelope.event_id,
            CLOUDEVENTS_EVENT_TYPE: envelope.type[:120],
        },
    ) as span:
        yield span
