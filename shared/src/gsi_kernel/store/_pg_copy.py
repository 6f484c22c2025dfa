"""Bulk appends through PostgreSQL's binary COPY (issue 23): many new events and their outbox
rows (private to :mod:`gsi_kernel.store.postgres`, which uses it from
:data:`~gsi_kernel.store.postgres.COPY_FROM` rows up).

- Events go through a staging table first: COPY has no ``ON CONFLICT``, and a bulk append must
  skip a ``(stream_id, version)`` that exists (an idempotent re-import) and learn which events
  went in. So the rows are copied into a temporary table of the session (emptied at commit),
  then one ``INSERT … SELECT … ON CONFLICT (stream_id, version) DO NOTHING`` moves them, in the
  given order (positions follow it), and returns what went in. The staged rows are taken out by
  the same statement, so a transaction can stage twice.
- Outbox rows go straight into the outbox: they are built for the inserted events only, so
  nothing in them can clash.
- Each row is built once, as it is sent: psycopg hands the COPY data to the server while the next
  rows are built, so the server parses rows while Python builds the following ones (two cores).
  The JSON is written by pydantic-core's serializer, several times faster than ``json.dumps``.
- Binary COPY needs no escaping. The staged payload is text the INSERT casts to ``json``; the
  outbox's ``json`` headers take their text as is (json's binary form): the server parses both,
  so a bad document is refused as before.
- Errors come as SQLAlchemy's (``IntegrityError``…), as from every statement of the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticSerializationError, to_json
from sqlalchemy import Connection

from gsi_kernel.store._pg_bulk import driver, driver_errors
from gsi_kernel.store.ports import NewEvent

_STAGE_COLUMNS = "ord, event_id, stream_id, version, type, schema_version, payload"
# Created on a session's first bulk append; ``IF NOT EXISTS`` after that (the same round trip
# either way). ON COMMIT DELETE ROWS: a temporary table is never vacuumed, so it is emptied at
# each commit of a transaction that used it.
CREATE_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS gsi_new_events (
  ord int NOT NULL, event_id text NOT NULL, stream_id text NOT NULL, version int NOT NULL,
  type text NOT NULL, schema_version int NOT NULL, payload text NOT NULL
) ON COMMIT DELETE ROWS
"""
COPY_STAGE = f"COPY pg_temp.gsi_new_events ({_STAGE_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_STAGE_TYPES = ("int4", "text", "text", "int4", "text", "int4", "text")

INSERT_STAGED = """
WITH staged AS (DELETE FROM pg_temp.gsi_new_events RETURNING *)
INSERT INTO events (event_id, stream_id, version, type, schema_version, payload, occurred_at,
                    recorded_at, actor, organization, correlation_id, causation_id, traceparent,
                    projected)
SELECT s.event_id, s.stream_id, s.version, s.type, s.schema_version, s.payload::json,
       %(occurred_at)s::timestamptz, %(recorded_at)s::timestamptz, %(actor)s::text,
       %(organization)s::text, %(correlation_id)s::text, %(causation_id)s::text,
       %(traceparent)s::text, %(projected)s::boolean
FROM staged s ORDER BY s.ord
ON CONFLICT (stream_id, version) DO NOTHING
RETURNING event_id, position, tx_id
"""

# ``headers`` is a json column: its binary form is the document's text.
COPY_OUTBOX = "COPY outbox (message_id, topic, key, value, headers, created_at) FROM STDIN (FORMAT BINARY)"
_OUTBOX_TYPES = ("text", "text", "text", "bytea", "text", "timestamptz")


def insert_new_events(
    connection: Connection, new: Sequence[NewEvent], shared: dict[str, Any]
) -> dict[str, tuple[int, int]]:
    """Insert the events, skipping a ``(stream, version)`` that exists (or comes twice). Returns
    ``event id -> (position, tx_id)`` of those inserted, positions in the given order."""
    pg = driver(connection)
    with driver_errors(COPY_STAGE, {}), pg.cursor() as cursor:
        cursor.execute(CREATE_STAGE)
        with cursor.copy(COPY_STAGE) as copy:
            copy.set_types(_STAGE_TYPES)
            write = copy.write_row
            for ord_, (event_id, stream_id, version, type_, schema_version, payload) in enumerate(new):
                write((ord_, event_id, stream_id, version, type_, schema_version, _json(payload)))
    params = shared | {
        "occurred_at": shared["occurred_at"].astimezone(UTC),
        "recorded_at": shared["recorded_at"].astimezone(UTC),
    }
    with driver_errors(INSERT_STAGED, params), pg.cursor(binary=True) as cursor:
        cursor.execute(INSERT_STAGED, params)
        return {event_id: (position, tx_id) for event_id, position, tx_id in cursor}


def insert_outbox(connection: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Outbox rows as :func:`gsi_kernel.store.outbox.outbox_row` builds them, in their order (the
    relay publishes by id)."""
    created_at = now.astimezone(UTC)
    with (
        driver_errors(COPY_OUTBOX, {}),
        driver(connection).cursor() as cursor,
        cursor.copy(COPY_OUTBOX) as copy,
    ):
        copy.set_types(_OUTBOX_TYPES)
        write = copy.write_row
        for r in rows:
            write((r["message_id"], r["topic"], r["key"], r["value"], _json(r["headers"]), created_at))


def _json(value: Any) -> str:
    """``value`` as JSON text: what ``json.dumps`` writes, compact and in UTF-8. What the database
    refuses (NaN, a lone surrogate) is refused by it as before: an error of SQLAlchemy's."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError:  # not UTF-8: json.dumps escapes it, PostgreSQL judges
        return json.dumps(value)
