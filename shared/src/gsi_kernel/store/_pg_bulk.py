"""The event store's, outbox's and read models' many-row statements on PostgreSQL, written for
the hot path (private to :mod:`gsi_kernel.store.postgres`).

- Many rows in one statement: each column travels as one array parameter and ``unnest`` turns
  the arrays back into rows. A multi-row ``VALUES`` list (SQLAlchemy's "insertmanyvalues")
  costs far more: its SQL text grows with the rows and psycopg parses every placeholder of it
  on the client, and an ``executemany`` still sends one statement per row. Here the SQL text is
  fixed, so psycopg prepares it once per connection, and 10,000 rows are a few parameters.
- A command's events and their outbox rows in one statement (one round trip, one plan), the
  expected-version check included. One event with at most one outbox row, most commands, has a
  statement of its own with scalar parameters (:data:`APPEND_ONE`), run on a psycopg cursor kept
  with the pooled connection (:func:`fetch`); issue 23 measured both.
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

# The psycopg cursor kept in the pool's ``info`` of its connection (emptied when the pool
# replaces that connection): see :func:`fetch`.
_KEPT_CURSOR = "gsi_kernel.store.cursor"

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

# One event and at most one outbox row, the shape of most commands: the same statement with
# scalar parameters (psycopg dumps them in C; eleven one-element arrays went through its
# Python array dumpers). No message id: the event publishes nothing, no outbox row.
APPEND_ONE = f"""
WITH appended AS (
  INSERT INTO events ({_EVENT_COLUMNS})
  SELECT %(event_id)b::text, %(stream_id)b::text, %(version)b::int, %(type)b::text,
         %(schema_version)b::int, %(payload)b::json, %(occurred_at)b::timestamptz,
         %(recorded_at)b::timestamptz, %(actor)b::text, %(organization)b::text,
         %(correlation_id)b::text, %(causation_id)b::text, %(traceparent)b::text, %(projected)b::boolean
  WHERE %(expected)b::int = 0 OR %(expected)b::int =
        (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = %(stream_id)b::text)
  RETURNING event_id, position, tx_id
), published AS (
  INSERT INTO outbox (message_id, topic, key, value, headers, created_at)
  SELECT %(message_id)b::text, %(topic)b::text, %(key)b::text, %(value)b::bytea, %(headers)b::json,
         %(recorded_at)b::timestamptz
  FROM appended WHERE %(message_id)b::text IS NOT NULL
)
SELECT event_id, position, tx_id FROM appended
"""

# The relay's read and mark, on psycopg (its statements prepared after a few executions): the
# headers as text, parsed by the relay (the driver's JSON loader cost ~4 µs more a row); the ids
# marked as one array (a statement of 500 placeholders cost ~5 ms of client CPU a batch to
# expand and bind, against ~1.5 ms; issue 23).
UNSENT = (
    "SELECT id, topic, key, value, headers::text FROM outbox"
    " WHERE sent_at IS NULL ORDER BY id LIMIT %(limit)s"
)
MARK_SENT = "UPDATE outbox SET sent_at = %(now)s WHERE id = ANY(%(ids)s::bigint[])"

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


def fetch(connection: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of ``sql``, run on a psycopg cursor kept with the pooled connection: a new cursor
    starts with an empty cache of dumpers and loaders and looks every parameter's and column's
    up again, a third of a one-row statement's client time. The rows are all read here, so the
    next statement can reuse the cursor."""
    psycopg_connection = driver(connection)
    kept = connection.connection.info
    cursor = kept.get(_KEPT_CURSOR)
    if cursor is None or cursor.connection is not psycopg_connection:  # another server connection
        cursor = kept[_KEPT_CURSOR] = psycopg_connection.cursor()
    with driver_errors(sql, params):
        return cursor.execute(sql, params).fetchall()


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
    if len(new) == 1 and len(outbox_rows) <= 1:
        sql, params = APPEND_ONE, _one(new[0], outbox_rows[0][1] if outbox_rows else None)
    else:
        sql, params = APPEND, _many(new, outbox_rows)
    params |= _utc(shared) | {"stream_id": stream_id, "expected": expected_version}
    return {e: (position, tx_id) for e, position, tx_id in fetch(connection, sql, params)}


_NO_OUTBOX_ROW = dict.fromkeys(("message_id", "topic", "key", "value", "headers"))


def _one(event: NewEvent, row: dict[str, Any] | None) -> dict[str, Any]:
    """:data:`APPEND_ONE`'s own parameters: the event's and its outbox row's (or none)."""
    event_id, _, version, type_, schema_version, payload = event
    published = (
        _NO_OUTBOX_ROW
        if row is None
        else {
            "message_id": row["message_id"],
            "topic": row["topic"],
            "key": row["key"],
            "value": row["value"],
            "headers": json.dumps(row["headers"]),
        }
    )
    return published | {
        "event_id": event_id,
        "version": version,
        "type": type_,
        "schema_version": schema_version,
        "payload": json.dumps(payload),
    }


def _many(new: Sequence[NewEvent], outbox_rows: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """:data:`APPEND`'s own parameters: one array per column."""
    event_id, _, version, type_, schema_version, payload = zip(*new, strict=True)
    return {
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
