"""Dead-lettering a consumed record: once per record, whatever its bytes (issue 19).

A dead letter is keyed by its place in the log — consumer, topic, partition, offset (a unique
index) — not by an event id, which an unreadable record lacks or which may not fit a column.
A record delivered again (a crash before the offset commit, a rebalance) finds its row and
does nothing more: no second row, no second copy on the dead-letter topic.

Order: look for the row, publish the copy to ``gsi.deadletter.<consumer>``, then store the row
and the ``processed`` mark in one transaction. A crash between the publish and the row sends
the copy again on redelivery (at-least-once, as everywhere on the bus); never the reverse.

Dead-lettering does not fail on the record's content: the row keeps the key's exact bytes
(``raw_key``) and a printable, bounded form of it (``key``); the value may be NULL; the error
is bounded and NUL-free. A copy the log refuses for its size is sent without its value (the
row keeps it). What can still fail is the database or the bus being unreachable: that is no
record's fault, and the runner's caller retries the batch later.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Table, select

from gsi_kernel.bus.port import Bus, Message, Producer, Record, RecordTooLargeError
from gsi_kernel.clock import Clock
from gsi_kernel.inbound import printable
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import dead_letters, processed

log = logging.getLogger(__name__)

KEY_CHARS = 200  # dead_letters.key: enough to recognise a key, the exact bytes are in raw_key
ERROR_CHARS = 2000


def dead_letter_topic(consumer: str) -> str:
    return f"gsi.deadletter.{consumer}"


class DeadLetters:
    """The dead letters of one consumer: its topic copies and its rows."""

    def __init__(self, *, consumer: str, db: Database, bus: Bus, clock: Clock) -> None:
        self._consumer = consumer
        self._db = db
        self._bus = bus
        self._clock = clock
        self._producer: Producer | None = None

    def send(self, record: Record, event_id: str, error: str, attempts: int) -> bool:
        """Dead-letter ``record``; False if it already was (a redelivery)."""
        error = printable(error, ERROR_CHARS)
        if self._stored(record):
            log.info("consumer %s: %s already dead-lettered", self._consumer, _place(record))
            return False
        log.error(
            "consumer %s: dead-lettering %s (%s) after %d attempt(s): %s",
            self._consumer,
            _place(record),
            event_id,
            attempts,
            error,
        )
        self._publish(record, error)
        with self._db.transaction() as connection:
            _insert_ignoring_duplicates(
                connection,
                dead_letters,
                ["consumer", "topic", "partition", "offset"],
                consumer=self._consumer,
                topic=printable(record.topic, 200),
                partition=record.partition,
                offset=record.offset,
                key=printable(record.key, KEY_CHARS),
                raw_key=record.raw_key if record.raw_key is not None else record.key.encode(),
                value=record.value,
                error=error,
                attempts=attempts,
                failed_at=self._clock.now(),
            )
            _insert_ignoring_duplicates(
                connection,
                processed,
                ["consumer", "event_id"],
                consumer=self._consumer,
                event_id=event_id,
                outcome="dead_lettered",
                processed_at=self._clock.now(),
            )
        return True

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None

    def _stored(self, record: Record) -> bool:
        query = select(dead_letters.c.id).where(
            dead_letters.c.consumer == self._consumer,
            dead_letters.c.topic == printable(record.topic, 200),
            dead_letters.c.partition == record.partition,
            dead_letters.c.offset == record.offset,
        )
        with self._db.transaction() as connection:
            return connection.execute(query).first() is not None

    def _publish(self, record: Record, error: str) -> None:
        ours = (
            ("gsi-error", error.encode()),
            ("gsi-consumer", self._consumer.encode()),
            ("gsi-original-topic", record.topic.encode()),
            ("gsi-original-partition", str(record.partition).encode()),
            ("gsi-original-offset", str(record.offset).encode()),
        )
        topic = dead_letter_topic(self._consumer)
        if self._producer is None:
            self._producer = self._bus.producer()
        try:
            self._producer.publish([Message(topic, record.key_bytes, record.value, (*record.headers, *ours))])
        except RecordTooLargeError:
            # The original's key and headers may be what is too large: the copy points to the
            # row, which keeps them all.
            self._producer.publish([Message(topic, b"", None, (*ours, ("gsi-copy-truncated", b"1")))])


def _place(record: Record) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


def _insert_ignoring_duplicates(
    connection: Connection, table: Table, keys: list[str], **values: object
) -> None:
    insert = backend_of(connection).insert(table)
    connection.execute(insert.values(**values).on_conflict_do_nothing(index_elements=keys))
