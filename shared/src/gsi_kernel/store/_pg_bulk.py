"""The event store's, outbox's and read models' many-row statements on PostgreSQL, written for
the hot path (private to :mod:`gsi_kernel.store.postgres`).

- Many rows in one statement: each column travels as one array parameter and ``unnest`` turns
  the arrays back into rows. A multi-row ``VALUES`` list (SQLAlchemy's "insertmanyvalues")
  costs far more: its SQL text grows with the rows and psycopg parses every placeholder of it
  on the client, and an ``executemany`` still sends one statement per row. Here the SQL text is
  fixed, so psycopg prepares it once per connection, and 10,000 rows are a few parameters.
- A command's events and their outbox rows in one statement (one round trip, one plan), the
  expected-version check included.
- Sent straight to psycopg (about a quarter of the client time of a SQLAlchemy execution), its
  errors raised as SQLAlchemy's (``IntegrityError``, ``OperationalError``…), as callers expect.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from gsi_kernel.store.ports import NewEvent

# Rows per statement: large enough that round trips do not matter, small enough to keep the
# parameters of one statement a few megabytes.
CHUNK = 10_000

_EVENT_COLUMNS = (
    "event_id, stream_id, version, type, schema_version, payload, occurred_at, recorded_at, "
    "actor, organization, correlation_id, causation_id, traceparent, projected"
)

# Reading events back: the columns in the order EventStore builds envelopes from.
EVENT_COLUMNS = f"position, tx_id, {_EVENT_COLUMNS}"
LOAD = f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = %(stream_id)s::text ORDER BY version"
# Commit order (ADR 2): after the cursor, and only transactions older than the oldest running.
READ_ALL = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE (tx_id, position) > (%(tx)s::bigint, %(pos)s::bigint)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
ORDER BY tx_id, position
LIMIT %(limit)s::int
"""
# The same without the horizon, for a reader that holds appends off (a rebuild, ADR 16): every
# transaction that appended has ended, so everything committed can be read.
READ_ALL_SETTLED = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE (tx_id, position) > (%(tx)s::bigint, %(pos)s::bigint)
ORDER BY tx_id, position
LIMIT %(limit)s::int
"""

INSERT_NEW_EVENTS = f"""
INSERT INTO events ({_EVENT_COLUMNS})
SELECT u.event_id, u.stream_id, u.version, u.type, u.schema_version, u.payload::json,
       %(occurred_at)s, %(recorded_at)s, %(actor)s, %(organization)s, %(correlation_id)s,
       %(causation_id)s, %(traceparent)s, %(projected)s::boolean
FROM unnest(%(event_id)b::text[], %(stream_id)b::text[], %(version)b::int[], %(type)b::text[],
            %(schema_version)b::int[], %(payload)b::text[])
     AS u(event_id, stream_id, version, type, schema_version, payload)
ON CONFLICT (stream_id, version) DO NOTHING
RETURNING event_id, position, tx_id
"""

# One command: its events (after the expected version, checked in the same statement: 0 rows
# come back when the stream moved on) and, only for the events that went in, their outbox rows.
APPEND = f"""
WITH appended AS (
  INSERT INTO events ({_EVENT_COLUMNS})
  SELECT u.event_id, %(stream_id)s::text, u.version, u.type, u.schema_version, u.payload::json,
         %(occurred_at)s::timestamptz, %(recorded_at)s::timestamptz, %(actor)s::text,
         %(organization)s::text, %(correlation_id)s::text, %(causation_id)s::text, %(traceparent)s::text,
         %(projected)s::boolean
  FROM unnest(%(event_id)b::text[], %(version)b::int[], %(type)b::text[], %(schema_version)b::int[],
              %(payload)b::text[]) AS u(event_id, version, type, schema_version, payload)
  WHERE %(expected)s::int = 0 OR %(expected)s::int =
        (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = %(stream_id)s::text)
  RETURNING event_id, position, tx_id
), published AS (
  INSERT INTO outbox (message_id, topic, key, value, headers, created_at)
  SELECT o.message_id, o.topic, o.key, o.value, o.headers::json, %(recorded_at)s::timestamptz
  FROM unnest(%(source)b::text[], %(message_id)b::text[], %(topic)b::text[], %(key)b::text[],
              %(value)b::bytea[], %(headers)b::text[]) AS o(source, message_id, topic, key, value, headers)
  JOIN appended ON appended.event_id = o.source
)
SELECT event_id, position, tx_id FROM appended
"""

INSERT_OUTBOX = """
INSERT INTO outbox (message_id, topic, key, value, headers, created_at)
SELECT u.message_id, u.topic, u.key, u.value, u.headers::json, %(created_at)s
FROM unnest(%(message_id)b::text[], %(topic)b::text[], %(key)b::text[], %(value)b::bytea[],
            %(headers)b::text[]) AS u(message_id, topic, key, value, headers)
"""


def execute(connection: Connection, sql: str, params: dict[str, Any]) -> psycopg.Cursor[Any]:
    """Run ``sql`` on the transaction's psycopg connection; errors come as SQLAlchemy's."""
    with driver_errors(sql, params):
        return driver(connection).execute(sql, params)


def driver(connection: Connection) -> psycopg.Connection[Any]:
    """The transaction's psycopg connection."""
    found = connection.connection.driver_connection
    assert isinstance(found, psycopg.Connection)
    return found


@contextmanager
def driver_errors(sql: str, params: Mapping[str, Any]) -> Iterator[None]:
    """psycopg's errors raised as SQLAlchemy's (``IntegrityError``…), as callers expect."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, dict(params), exc, psycopg.Error, hide_parameters=True) from exc


def append(
    connection: Connection,
    stream_id: str,
    expected_version: int,
    new: Sequence[NewEvent],
    shared: dict[str, Any],
    outbox_rows: Sequence[tuple[str, dict[str, Any]]],
) -> dict[str, tuple[int, int]]:
    """One command's events and their ``(source event id, outbox row)`` rows, in one statement.
    Returns ``event id -> (position, tx_id)``: empty when ``expected_version`` was stale."""
    event_id, _, version, type_, schema_version, payload = zip(*new, strict=True)
    params = _utc(shared) | {
        "stream_id": stream_id,
        "expected": expected_version,
        "event_id": list(event_id),
        "version": list(version),
        "type": list(type_),
        "schema_version": list(schema_version),
        "payload": [json.dumps(p) for p in payload],
        "source": [source for source, _ in outbox_rows],
        "message_id": [r["message_id"] for _, r in outbox_rows],
        "topic": [r["topic"] for _, r in outbox_rows],
        "key": [r["key"] for _, r in outbox_rows],
        "value": [r["value"] for _, r in outbox_rows],
        "headers": [json.dumps(r["headers"]) for _, r in outbox_rows],
    }
    return {e: (position, tx_id) for e, position, tx_id in execute(connection, APPEND, params)}


def _utc(shared: dict[str, Any]) -> dict[str, Any]:
    return shared | {
        "occurred_at": shared["occurred_at"].astimezone(UTC),
        "recorded_at": shared["recorded_at"].astimezone(UTC),
    }


def insert_new_events(
    connection: Connection, new: Sequence[NewEvent], shared: dict[str, Any]
) -> dict[str, tuple[int, int]]:
    """Insert the events, skipping a ``(stream, version)`` that exists. Returns
    ``event id -> (position, tx_id)`` of those inserted."""
    written: dict[str, tuple[int, int]] = {}
    common = _utc(shared)
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        event_id, stream_id, version, type_, schema_version, payload = zip(*chunk, strict=True)
        params = common | {
            "event_id": list(event_id),
            "stream_id": list(stream_id),
            "version": list(version),
            "type": list(type_),
            "schema_version": list(schema_version),
            "payload": [json.dumps(p) for p in payload],
        }
        result = execute(connection, INSERT_NEW_EVENTS, params)
        written.update({e: (position, tx_id) for e, position, tx_id in result})
    return written


def insert_outbox(connection: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Outbox rows as :class:`gsi_kernel.store.outbox.Outbox` builds them."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = {
            "message_id": [r["message_id"] for r in chunk],
            "topic": [r["topic"] for r in chunk],
            "key": [r["key"] for r in chunk],
            "value": [r["value"] for r in chunk],
            "headers": [json.dumps(r["headers"]) for r in chunk],
            "created_at": now.astimezone(UTC),
        }
        execute(connection, INSERT_OUTBOX, params)


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``INSERT INTO table`` of many rows with the same keys: one statement whose one parameter
    is the rows as JSON (``json_populate_recordset`` types each value by its column), a fixed
    text prepared once."""
    if not rows:
        return
    sql = _insert_rows_sql(table.name, tuple(rows[0]))
    execute(connection, sql, {"rows": json.dumps(rows, default=_json_value)})


@functools.cache
def _insert_rows_sql(table: str, names: tuple[str, ...]) -> str:
    columns = ", ".join(f'"{n}"' for n in names)
    return (
        f'INSERT INTO "{table}" ({columns}) '
        f'SELECT {columns} FROM json_populate_recordset(NULL::"{table}", %(rows)s::json)'
    )


def _json_value(value: Any) -> str:
    """Dates and instants as ISO 8601 text (an instant keeps its offset: timestamptz reads it)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a row of insert_rows")
