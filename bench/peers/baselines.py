"""The raw drivers the kernel's write path is measured against, each doing the same work with
nothing of the kernel's around it (issue 23: baselines that tell the truth).

- :func:`durable_insert`: one event row per transaction into the project's own ``events``
  table (its indexes, a normal table: each COMMIT waits for its WAL flush, as an append's does;
  a TEMP table's would not), psycopg in autocommit mode: one round trip per row.
- :func:`copy`: the bulk import's rows — an event and its outbox row per new stream — by a
  binary ``COPY`` into the project's own ``events`` and ``outbox`` tables, one transaction.
  The timed part builds each row's ids (two UUIDs) and sends the rows; the payload's JSON and
  the message's bytes are those of :mod:`bench.peers.workload`, the same for every row.
- :func:`plain_producer`: kafka-python with the relay's settings (acks=all, idempotence, five
  requests in flight, 5 ms linger), the relay's messages (value and headers), one flush.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from kafka import KafkaProducer
from psycopg.types.json import set_json_dumps
from sqlalchemy import Engine

from bench.peers.measure import application, metered
from bench.peers.rounds import Figures
from bench.peers.workload import ORG, PAYLOAD, Declared, Message, driver_dsn, scratch

EVENT_COLUMNS = (
    "event_id", "stream_id", "version", "type", "schema_version", "payload", "occurred_at",
    "recorded_at", "actor", "organization", "correlation_id", "causation_id", "traceparent", "projected",
)  # fmt: skip
# The columns' PostgreSQL types, in that order (a binary COPY sends each in its type's format).
EVENT_TYPES = (
    "varchar", "varchar", "int4", "varchar", "int4", "json", "timestamptz",
    "timestamptz", "varchar", "varchar", "varchar", "varchar", "varchar", "bool",
)  # fmt: skip
OUTBOX_COLUMNS = ("message_id", "topic", "key", "value", "headers", "created_at")
OUTBOX_TYPES = ("varchar", "varchar", "varchar", "bytea", "json", "timestamptz")
INSERT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"
WARM_UP = 100


def event_row(stream_id: str, payload: str, now: datetime) -> tuple[Any, ...]:
    """An event row as an append writes it (version 1 of a new stream), in EVENT_COLUMNS order."""
    return (
        str(uuid.uuid4()), stream_id, 1, Declared.event_type, 1, payload, now, now,
        "bench", ORG, str(uuid.uuid4()), None, None, False,
    )  # fmt: skip


def connect(url: str, schema: str, name: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    return psycopg.connect(
        driver_dsn(url), application_name=name, options=f"-csearch_path={schema}", autocommit=autocommit
    )


def durable_insert(url: str, count: int, watcher: Engine) -> Figures:
    """``count`` single-row INSERTs, each its own transaction (autocommit), in a fresh schema."""
    name, payload = application(), json.dumps(PAYLOAD)
    with scratch(url) as (_, schema), connect(url, schema, name, autocommit=True) as conn:

        def insert(prefix: str, n: int) -> None:
            for i in range(n):
                conn.execute(INSERT, event_row(f"{prefix}-{i}", payload, datetime.now(UTC)))

        insert("warm", WARM_UP)  # the statement prepared (psycopg prepares it after five runs)
        return metered(count, lambda: insert("intervention", count), watcher, name)


def event_rows(count: int) -> Iterator[tuple[Any, ...]]:
    """The events of ``count`` new one-event streams."""
    payload, now = json.dumps(PAYLOAD), datetime.now(UTC)
    return (event_row(f"import-{i}", payload, now) for i in range(count))


def outbox_rows(count: int, message: Message) -> Iterator[tuple[Any, ...]]:
    """Their outbox rows, in OUTBOX_COLUMNS order."""
    headers, now = message.stored_headers(), datetime.now(UTC)
    return (
        (str(uuid.uuid4()), message.topic, f"import-{i}", message.value, headers, now) for i in range(count)
    )


def copy(url: str, count: int, message: Message, watcher: Engine) -> Figures:
    """The bulk's rows by binary COPY into a fresh schema's ``events`` and ``outbox``, one
    transaction."""
    name = application()
    with scratch(url) as (_, schema), connect(url, schema, name) as conn:
        conn.execute("SELECT 1")  # the connection and its backend up before the clock starts
        conn.commit()

        def send() -> None:
            cursor = conn.cursor()
            set_json_dumps(lambda text: text, context=cursor)  # the JSON columns come as text already
            for table, columns, types, rows in (
                ("events", EVENT_COLUMNS, EVENT_TYPES, event_rows(count)),
                ("outbox", OUTBOX_COLUMNS, OUTBOX_TYPES, outbox_rows(count, message)),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as out:
                    out.set_types(list(types))
                    for row in rows:
                        out.write_row(row)
            conn.commit()

        return metered(count, send, watcher, name)


def plain_producer(servers: str, count: int, message: Message) -> Figures:
    """``count`` messages (distinct keys) sent at once, then one flush and every ack awaited;
    the producer starts cold (no message sent before the clock starts), as the relay does."""
    producer = KafkaProducer(
        bootstrap_servers=servers,
        acks="all",
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
    )
    headers = list(message.headers)

    def send(prefix: str, n: int) -> None:
        futures = [
            producer.send(
                message.topic, key=f"relayed-{prefix}-{i}".encode(), value=message.value, headers=headers
            )
            for i in range(n)
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=60)

    try:
        return metered(count, lambda: send(uuid.uuid4().hex, count))  # cold, as the relay starts
    finally:
        producer.close()
