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

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gsi_kernel.bus.port import Producer
from gsi_kernel.clock import Clock
from gsi_kernel.failures import redacted_exc_info
from gsi_kernel.message_spans import SendSpans, messaging_system
from gsi_kernel.metrics.instruments import RELAY_ERRORS, RELAY_LEASE_HELD, RELAY_PUBLISHED
from gsi_kernel.store.database import Database
from gsi_kernel.store.outbox import Outbox, PendingMessage
from gsi_kernel.store.tracking import release_lease, try_acquire_lease
from gsi_kernel.telemetry import Telemetry

LEASE = "outbox-relay"

log = logging.getLogger(__name__)


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
        service: str = "",
    ) -> None:
        """``service``: the ``service`` label of its metrics (docs/metrics.md)."""
        self._db = db
        self._producer = producer
        self._clock = clock
        self._tracer = telemetry.tracer
        self._outbox = Outbox()
        self._batch_size = batch_size
        self._lease_ttl = lease_ttl
        # Which process holds the lease, for an operator reading the leases table (a pod's
        # hostname, the pid on a machine running several replicas), and unique all the same.
        self.holder = holder or f"relay-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._linger_s = linger.total_seconds()
        self._lease_until: datetime | None = None  # while ours for sure, no renewal needed
        self._standby_until: datetime | None = None  # another holder had it: no look before
        self._service = service
        self._lease_held = RELAY_LEASE_HELD.labels(service)
        self._errors = RELAY_ERRORS.labels(service)

    def run_once(self) -> int:
        """Publish one batch; return how many messages were published (0 when idle)."""
        try:
            return self._publish_batch()
        except Exception:
            self._errors.inc()
            self._lease_held.set(0)  # the worker thread builds a new relay, which takes it again
            raise

    def _publish_batch(self) -> int:
        with self._db.transaction() as connection:
            if not self._holds_lease(connection):
                return 0
            pending = self._outbox.unsent(connection, self._batch_size)
        if not pending:
            return 0
        with SendSpans(self._tracer, messaging_system(self._producer)) as spans:  # one per trace and topic
            self._producer.publish([spans.traced(p.message) for p in pending])
        with self._db.transaction() as connection:
            self._outbox.mark_sent(connection, [p.id for p in pending], self._clock.now())
        self._count_published(pending)
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
            self._lease_held.set(0)
            return False
        self._standby_until = None
        self._lease_until = now + self._lease_ttl
        self._lease_held.set(1)
        return True

    def _count_published(self, pending: list[PendingMessage]) -> None:
        by_topic: dict[str, int] = {}
        for p in pending:
            by_topic[p.message.topic] = by_topic.get(p.message.topic, 0) + 1
        for topic, count in by_topic.items():
            RELAY_PUBLISHED.labels(self._service, topic).inc(count)

    def close(self) -> None:
        """Stop publishing. A lease this relay holds is given back, so that another replica
        takes over at its next look rather than after the lease's time to live (a rolling
        restart would otherwise pause publication for up to that long at each holder)."""
        self._lease_held.set(0)
        try:
            if self._lease_until is not None:
                self._lease_until = None
                with self._db.transaction() as connection:
                    release_lease(connection, LEASE, self.holder)
        except Exception as error:  # the database is gone: the lease lapses by itself
            log.warning("relay: lease not released; it lapses by itself", exc_info=redacted_exc_info(error))
        finally:
            self._producer.close()
