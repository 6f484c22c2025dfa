"""The idempotent consumer runner.

For each record: the handler's effect and a ``processed(consumer, event_id)`` row commit in one
transaction; the offsets are committed to the bus only after that. A record delivered again
(after a crash before the offset commit, a rebalance, a relay that published twice) finds its
``processed`` row and changes nothing.

A handler that keeps failing is retried a bounded number of times, then the record goes to the
dead-letter topic with the error (and to the local ``dead_letters`` table), is marked
processed, and the consumer moves on: a poison message is never swallowed and never blocks the
partition. A database that cannot be reached is not the message's fault: that error stops the
batch without committing offsets, and the worker thread rebuilds the consumer, which resumes at
the committed offsets.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence

from opentelemetry.trace import SpanKind
from sqlalchemy import Connection, insert
from sqlalchemy.exc import OperationalError

from gsi_kernel.bus.port import Bus, Consumer, Message, Producer, Record, TopicPartition
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.failures import describe
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import dead_letters
from gsi_kernel.store.tracking import already_processed, mark_processed
from gsi_kernel.telemetry import Telemetry, context_from_traceparent

log = logging.getLogger(__name__)

Handler = Callable[[Connection, EventEnvelope], None]


def dead_letter_topic(consumer: str) -> str:
    return f"gsi.deadletter.{consumer}"


class ConsumerRunner:
    def __init__(
        self,
        *,
        name: str,
        db: Database,
        bus: Bus,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        clock: Clock,
        telemetry: Telemetry,
        max_attempts: int = 5,
        backoff_s: float = 0.1,
        poll_timeout_s: float = 0.5,
    ) -> None:
        self.name = name
        self._db = db
        self._handlers = dict(handlers)
        self._clock = clock
        self._tracer = telemetry.tracer
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._poll_timeout_s = poll_timeout_s
        self._consumer: Consumer = bus.consumer(name, topics)
        self._dlq_producer: Producer | None = None
        self._bus = bus

    def run_once(self) -> int:
        records = self._consumer.poll(self._poll_timeout_s)
        if not records:
            return 0
        next_offsets: dict[TopicPartition, int] = {}
        for record in records:
            self._handle(record)
            next_offsets[record.topic_partition] = record.offset + 1
        self._consumer.commit(next_offsets)
        return len(records)

    def close(self) -> None:
        self._consumer.close()
        if self._dlq_producer is not None:
            self._dlq_producer.close()

    def _handle(self, record: Record) -> None:
        try:
            envelope = EventEnvelope.from_bytes(record.value)
        except (ValueError, KeyError, TypeError) as exc:
            self._dead_letter(record, _record_id(record), f"unreadable event: {describe(exc)}", 1)
            return
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return  # not an event this consumer cares about
        traceparent = (record.header("traceparent") or b"").decode() or envelope.traceparent
        with self._tracer.start_as_current_span(
            f"consume {envelope.type}",
            context=context_from_traceparent(traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": self.name,
                "messaging.message.id": envelope.event_id,
            },
        ):
            self._apply_with_retries(record, envelope, handler)

    def _apply_with_retries(self, record: Record, envelope: EventEnvelope, handler: Handler) -> None:
        error = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._apply(envelope, handler)
                return
            except OperationalError:
                raise  # the database is unreachable: not this message's fault
            except Exception as exc:  # any handler failure is retried, then dead-lettered
                error = describe(exc)  # redacted: a database error's text carries the data
                log.warning(
                    "consumer %s: attempt %d on %s failed: %s",
                    self.name,
                    attempt,
                    envelope.event_id,
                    error,
                )
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
        self._dead_letter(record, envelope.event_id, error, self._max_attempts)

    def _apply(self, envelope: EventEnvelope, handler: Handler) -> None:
        with self._db.transaction() as connection:
            if already_processed(connection, self.name, envelope.event_id):
                return
            handler(connection, envelope)
            mark_processed(connection, self.name, envelope.event_id, "applied", self._clock.now())

    def _dead_letter(self, record: Record, event_id: str, error: str, attempts: int) -> None:
        log.error(
            "consumer %s: dead-lettering %s after %d attempts: %s",
            self.name,
            event_id,
            attempts,
            error,
        )
        headers = (
            *record.headers,
            ("gsi-error", error[:2000].encode()),
            ("gsi-consumer", self.name.encode()),
            ("gsi-original-topic", record.topic.encode()),
            ("gsi-original-partition", str(record.partition).encode()),
            ("gsi-original-offset", str(record.offset).encode()),
        )
        if self._dlq_producer is None:
            self._dlq_producer = self._bus.producer()
        self._dlq_producer.publish([Message(dead_letter_topic(self.name), record.key, record.value, headers)])
        with self._db.transaction() as connection:
            if already_processed(connection, self.name, event_id):
                return
            connection.execute(
                insert(dead_letters).values(
                    consumer=self.name,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                    value=record.value,
                    error=error,
                    attempts=attempts,
                    failed_at=self._clock.now(),
                )
            )
            mark_processed(connection, self.name, event_id, "dead_lettered", self._clock.now())


def _record_id(record: Record) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.topic}/{record.partition}/{record.offset}"))
