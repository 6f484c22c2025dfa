"""The idempotent consumer runner.

For each record: the handler's effect and a ``processed(consumer, event_id)`` row commit in one
transaction; the offsets are committed to the bus only after that. A record delivered again
(after a crash before the offset commit, a rebalance, a relay that published twice) finds its
``processed`` row and changes nothing.

No record stops a consumer (issue 19). Whatever its bytes, a record is read by
:func:`gsi_kernel.inbound.read_event`, which never raises: an unreadable one is dead-lettered
at once with the reason. A handler that keeps failing is retried a bounded number of times,
then dead-lettered. Dead-lettering (:mod:`gsi_kernel.dead_letters`) happens once per place in
the log and does not fail on the record's content; anything else a record makes fail on the
way is dead-lettered too. Each record ends with exactly one :class:`Outcome`. A database that
cannot be reached, or a bus that does not acknowledge, is not the message's fault: that error
stops the batch without committing offsets, and the worker thread rebuilds the consumer, which
resumes at the committed offsets.

A consumer that no longer consumes — expired from its group and never rejoining — is found by
its :class:`~gsi_kernel.consumer_health.ConsumerWatch`, and its client is built again.

A poll's records are applied together (issue 23): up to :data:`TOGETHER` of them in one
transaction — one look for those already processed, each handler, their ``processed`` rows in
one statement, one commit — not a transaction each. A transaction per record cost five or six
round trips and a commit's WAL flush per record; on a machine whose cores the serving processes
keep busy, each round trip waits for a core and each commit for the flush, and the consumer fell
below the rate messages arrived at: its queue, and so the lag, grew for as long as the load
lasted. If any handler of a batch fails, the batch is rolled back and its records handled one by
one as before (each retried, then dead-lettered): the outcomes are the same either way.

A transaction PostgreSQL rolled back to break a conflict with another (a deadlock, a
serialization failure: replicas of one consumer group applying records that lock the same
rows or keys in different orders) is no record's fault and no sign of an unreachable database:
the batch is handled again one record at a time, and a record's own transaction that loses a
conflict is run again (up to :data:`CONFLICT_RETRIES` times, then the step fails as for an
unreachable database, the record kept for its next delivery) — never dead-lettered for it.
A consumer whose handlers lock keys (reporting locks the persons an intervention counts for)
avoids most such conflicts with a ``prepare`` step: given a batch's events before its
handlers run, it takes their locks in one order, so two replicas' batches wait for each other
instead of each holding what the other waits for.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from gsi_kernel.bus.port import Bus, BusError, Consumer, Record
from gsi_kernel.clock import Clock
from gsi_kernel.consumer_health import ConsumerHealth, ConsumerWatch
from gsi_kernel.dead_letters import DeadLetters, dead_letter_topic
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.failures import describe, lost_a_conflict
from gsi_kernel.inbound import Readable, Unreadable, read_event
from gsi_kernel.message_spans import messaging_system, process_span
from gsi_kernel.metrics.instruments import ConsumerMetrics
from gsi_kernel.store.database import Database
from gsi_kernel.store.tracking import (
    mark_all_processed,
    mark_processed,
    processed_outcome,
    processed_outcomes,
)
from gsi_kernel.telemetry import Telemetry

log = logging.getLogger(__name__)

Handler = Callable[[Connection, EventEnvelope], None]
# Run in a batch's transaction before its handlers, with the events they will apply (those not
# processed yet): takes, in one order, the locks the handlers would take in the batch's order.
Prepare = Callable[[Connection, Sequence[EventEnvelope]], None]

# Records applied in one transaction at most: enough to share a commit among a burst, few enough
# that a batch holds its row locks briefly (a consumer's tables are read and written by commands).
TOGETHER = 100

# Runs of one record's transaction that may lose a conflict with another transaction before the
# step gives up (without dead-lettering: the record comes again at its next delivery).
CONFLICT_RETRIES = 5

__all__ = ["ConsumerRunner", "Handler", "Outcome", "Prepare", "dead_letter_topic"]


class Outcome(enum.Enum):
    APPLIED = "applied"  # the handler's effect is committed (or was, by an earlier delivery)
    DEAD_LETTERED = "dead_lettered"  # dead-lettered now, or by an earlier delivery
    IGNORED = "ignored"  # a readable event of a type this consumer does not follow


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
        watch: ConsumerWatch | None = None,
        service: str = "",
        prepare: Prepare | None = None,
    ) -> None:
        """``service``: the ``service`` label of its metrics (docs/metrics.md); ``prepare``: see
        :data:`Prepare`."""
        self.name = name
        self._db = db
        self._handlers = dict(handlers)
        self._prepare = prepare
        self._clock = clock
        self._tracer = telemetry.tracer
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._poll_timeout_s = poll_timeout_s
        self._bus = bus
        self._topics = list(topics)
        self._watch = watch or ConsumerWatch(name)
        self._watch.built()
        self._consumer: Consumer = bus.consumer(name, topics)
        self._dead_letters = DeadLetters(consumer=name, db=db, bus=bus, clock=clock)
        self._metrics = ConsumerMetrics(service, name)

    def run_once(self) -> int:
        self._restart_if_stalled()
        records = self._consumer.poll(self._poll_timeout_s)
        self._watch.polled(len(records), self._consumer.assignment())
        self._metrics.read_lag(self._consumer.partition_lag)
        if not records:
            return 0
        self.handle_all(records)
        next_offsets = {record.topic_partition: record.offset + 1 for record in records}
        self._consumer.commit(next_offsets)
        return len(records)

    def health(self) -> ConsumerHealth:
        return self._watch.health()

    def close(self) -> None:
        self._consumer.close()
        self._dead_letters.close()

    def handle_all(self, records: Sequence[Record]) -> None:
        """Apply or dead-letter a poll's records: those a handler applies together
        (:data:`TOGETHER` to a transaction); the others (unreadable, of a type not followed) and
        the records of a batch that failed one by one, as :meth:`handle`. Raises only as
        :meth:`handle` does."""
        batch: list[tuple[Record, EventEnvelope, str | None, Handler]] = []
        for record in records:
            read = read_event(record)
            handler = self._handlers.get(read.envelope.type) if isinstance(read, Readable) else None
            if handler is None or not isinstance(read, Readable):
                self.handle(record)
                continue
            batch.append((record, read.envelope, read.traceparent, handler))
        for start in range(0, len(batch), TOGETHER):
            chunk = batch[start : start + TOGETHER]
            if not self._apply_together(chunk):
                for record, *_ in chunk:
                    self.handle(record)

    def _apply_together(self, batch: Sequence[tuple[Record, EventEnvelope, str | None, Handler]]) -> bool:
        """Apply the batch in one transaction, as :meth:`_apply` applies one record; False (and
        nothing written) if a handler failed. A database that cannot be reached raises."""
        outcomes: list[tuple[str, str]] = []  # (topic, metric's outcome), told once committed
        system = messaging_system(self._bus)
        try:
            with self._db.transaction() as connection:
                done = processed_outcomes(connection, self.name, [e.event_id for _, e, _, _ in batch])
                if self._prepare is not None:
                    self._prepare(connection, [e for _, e, _, _ in batch if e.event_id not in done])
                applied: list[str] = []
                for record, envelope, traceparent, handler in batch:
                    if envelope.event_id in done:  # delivered again, or twice in this batch
                        outcomes.append((record.topic, "duplicate"))
                        continue
                    with process_span(
                        self._tracer,
                        record,
                        envelope,
                        group=self.name,
                        traceparent=traceparent,
                        system=system,
                    ):
                        handler(connection, envelope)
                    done[envelope.event_id] = Outcome.APPLIED.value
                    applied.append(envelope.event_id)
                    outcomes.append((record.topic, "applied"))
                mark_all_processed(connection, self.name, applied, Outcome.APPLIED.value, self._clock.now())
        except Exception as exc:  # a handler failed, or a conflict was lost: each record on its own
            if isinstance(exc, OperationalError) and not lost_a_conflict(exc):
                raise  # the database is unreachable: not these messages' fault
            log.info("consumer %s: a batch failed (%s); one record at a time", self.name, describe(exc))
            return False
        for topic, outcome in outcomes:
            self._metrics.handled(topic, outcome)
        return True

    def handle(self, record: Record) -> Outcome:
        """Apply or dead-letter ``record``; raises only when the database or the bus cannot be
        reached (the record is then handled again on the next delivery)."""
        try:
            return self._handle(record)
        except (OperationalError, BusError):
            raise
        except Exception as exc:  # whatever else a record made fail: it must not stop us
            self._dead_letters.send(record, _place_id(record), f"consumer failed: {describe(exc)}", 1)
            self._metrics.handled(record.topic, "dead_lettered")
            return Outcome.DEAD_LETTERED

    def _handle(self, record: Record) -> Outcome:
        read = read_event(record)
        if isinstance(read, Unreadable):
            self._dead_letters.send(record, _place_id(record), f"unreadable event: {read.reason}", 1)
            self._metrics.handled(record.topic, "dead_lettered")
            return Outcome.DEAD_LETTERED
        envelope = read.envelope
        handler = self._handlers.get(envelope.type)
        if handler is None:
            self._metrics.handled(record.topic, "ignored")
            return Outcome.IGNORED
        system = messaging_system(self._bus)
        with process_span(
            self._tracer, record, envelope, group=self.name, traceparent=read.traceparent, system=system
        ):
            return self._apply_with_retries(record, envelope, handler)

    def _apply_with_retries(self, record: Record, envelope: EventEnvelope, handler: Handler) -> Outcome:
        error, failures, conflicts = "", 0, 0
        while failures < self._max_attempts:
            try:
                return self._apply(record.topic, envelope, handler)
            except OperationalError as exc:
                if not lost_a_conflict(exc) or conflicts >= CONFLICT_RETRIES:
                    raise  # the database is unreachable (or never lets it through): not its fault
                conflicts += 1
                log.info("consumer %s: %s lost a conflict (%s)", self.name, envelope.event_id, describe(exc))
                time.sleep(self._backoff_s * conflicts)
            except Exception as exc:  # any handler failure is retried, then dead-lettered
                failures += 1
                error = describe(exc)  # redacted: a database error's text carries the data
                log.warning(
                    "consumer %s: attempt %d on %s failed: %s",
                    self.name,
                    failures,
                    envelope.event_id,
                    error,
                )
                time.sleep(self._backoff_s * 2 ** (failures - 1))
        self._dead_letters.send(record, envelope.event_id, error, self._max_attempts)
        self._metrics.handled(record.topic, "dead_lettered")
        return Outcome.DEAD_LETTERED

    def _apply(self, topic: str, envelope: EventEnvelope, handler: Handler) -> Outcome:
        with self._db.transaction() as connection:
            done = processed_outcome(connection, self.name, envelope.event_id)
            if done is not None:  # delivered again: what was done the first time stands
                self._metrics.handled(topic, "duplicate")
                return Outcome(done)
            handler(connection, envelope)
            mark_processed(connection, self.name, envelope.event_id, "applied", self._clock.now())
        self._metrics.handled(topic, "applied")
        return Outcome.APPLIED

    def _restart_if_stalled(self) -> None:
        if not self._watch.lag_due():
            return
        reason = self._watch.stall(self._consumer.lag())
        if reason is None:
            return
        log.warning("consumer %s stalled: %s; building its client again", self.name, reason)
        with suppress(Exception):  # a stuck client may fail to close: it is dropped anyway
            self._consumer.close()
        self._consumer = self._bus.consumer(self.name, self._topics)
        self._watch.restarted(reason)


def _place_id(record: Record) -> str:
    """The ``processed`` id of a record that has no usable event id: its place in the log."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.topic}/{record.partition}/{record.offset}"))
