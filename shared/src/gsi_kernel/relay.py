"""The outbox relay: publishes committed outbox rows in order and marks them sent only after
the bus acknowledged them.

A crash between the publish and the mark-sent publishes the batch again on restart; that is
the at-least-once half, and consumers dedupe on the event id (the exactly-once-effect half).
Only the holder of the relay lease publishes, so two instances never interleave batches.

Under load the relay works in batches, not message by message: after a batch that was not
full it waits ``linger`` (as long as an idle relay waits between looks anyway) so that the next
one carries the messages of many commands — each batch costs two short transactions and a
round trip to the brokers, whatever its size. It renews its lease when half of it has run out,
not at every batch (one write less per batch); an instance that found the lease taken looks again
only after a tenth of it (a standby relay in every serving process otherwise took the lease's
row lock several times a second).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from opentelemetry.trace import SpanKind
from sqlalchemy import Connection

from gsi_kernel.bus.port import Message, Producer
from gsi_kernel.clock import Clock
from gsi_kernel.store.database import Database
from gsi_kernel.store.outbox import Outbox, PendingMessage
from gsi_kernel.store.tracking import try_acquire_lease
from gsi_kernel.telemetry import Telemetry, context_from_traceparent, current_traceparent

LEASE = "outbox-relay"


class OutboxRelay:
    def __init__(
        self,
        *,
        db: Database,
        producer: Producer,
        clock: Clock,
        telemetry: Telemetry,
        batch_size: int = 500,
        lease_ttl: timedelta = timedelta(seconds=30),
        holder: str | None = None,
        linger: timedelta = timedelta(0),
    ) -> None:
        self._db = db
        self._producer = producer
        self._clock = clock
        self._tracer = telemetry.tracer
        self._outbox = Outbox()
        self._batch_size = batch_size
        self._lease_ttl = lease_ttl
        self.holder = holder or f"relay-{uuid.uuid4()}"
        self._linger_s = linger.total_seconds()
        self._lease_until: datetime | None = None  # while ours for sure, no renewal needed
        self._standby_until: datetime | None = None  # another holder had it: no look before

    def run_once(self) -> int:
        """Publish one batch; return how many messages were published (0 when idle)."""
        with self._db.transaction() as connection:
            if not self._holds_lease(connection):
                return 0
            pending = self._outbox.unsent(connection, self._batch_size)
        if not pending:
            return 0
        spans: dict[tuple[str, str], str] = {}  # one publish span per trace, topic and batch
        self._producer.publish([self._traced(p, spans) for p in pending])
        with self._db.transaction() as connection:
            self._outbox.mark_sent(connection, [p.id for p in pending], self._clock.now())
        if len(pending) < self._batch_size and self._linger_s:
            time.sleep(self._linger_s)  # let the next batch gather more than one command's messages
        return len(pending)

    def _holds_lease(self, connection: Connection) -> bool:
        """Take or renew the lease when less than half of it is left (the renewal is a write)."""
        now = self._clock.now()
        if self._lease_until is not None and now < self._lease_until - self._lease_ttl / 2:
            return True
        if self._standby_until is not None and now < self._standby_until:
            return False
        self._lease_until = None
        if not try_acquire_lease(connection, LEASE, self.holder, now, self._lease_ttl):
            self._standby_until = now + self._lease_ttl / 10
            return False
        self._standby_until = None
        self._lease_until = now + self._lease_ttl
        return True

    def _traced(self, pending: PendingMessage, spans: dict[tuple[str, str], str]) -> Message:
        """The message, with a traceparent naming a publish span child of the event's trace:
        one span for the messages of a batch that share their parent and topic (``spans``:
        (parent, topic) -> the span's traceparent), so that an import's 100,000 messages make
        200 spans, not 100,000, while each declaration still has its own."""
        message = pending.message
        parent = next((v.decode() for k, v in message.headers if k == "traceparent"), None)
        if parent is None:
            return message
        traceparent = spans.get((parent, message.topic))
        if traceparent is None:
            with self._tracer.start_as_current_span(
                f"publish {message.topic}",
                context=context_from_traceparent(parent),
                kind=SpanKind.PRODUCER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": message.topic},
            ):
                traceparent = spans[parent, message.topic] = current_traceparent() or parent
        headers = tuple((k, v) for k, v in message.headers if k != "traceparent")
        return Message(
            message.topic,
            message.key,
            message.value,
            (*headers, ("traceparent", traceparent.encode())),
        )

    def close(self) -> None:
        self._producer.close()
