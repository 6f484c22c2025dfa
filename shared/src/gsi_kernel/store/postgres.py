"""The PostgreSQL backend (:class:`~gsi_kernel.store.ports.Backend`): what the kernel and the
services do on PostgreSQL that they do otherwise on SQLite.

Its performance machinery (ADR 10, ADR 25) stays behind this module, in private ones: the
many-row statements (:mod:`._pg_bulk`) and the prepared reads, sent ahead in psycopg's pipeline
(:mod:`._pg_prepared`).

- Each service works in its own schema (``search_path`` set per connection).
- Commit order (ADR 2): a sequence hands out positions in *insert* order, and transactions
  can commit in another order, so every event keeps its transaction's id, and readers follow
  ``(transaction id, position)`` up to the oldest transaction still running.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Connection, Engine, Table, create_engine, func, select, text
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql import Select

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store import _pg_bulk, _pg_copy, _pg_prepared
from gsi_kernel.store.ports import Cursor, NewEvent, Read, Written

if TYPE_CHECKING:
    from gsi_kernel.store.prepared import PreparedSelect

CONNECT_TIMEOUT_S = 5  # opening a PostgreSQL connection
POOL_TIMEOUT_S = 10  # waiting for a pooled connection

_GUARD = """
CREATE OR REPLACE FUNCTION gsi_events_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = 'events are immutable: ' || TG_OP || ' refused on ' || TG_TABLE_NAME,
    ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION gsi_events_are_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION gsi_events_are_immutable();
ALTER TABLE events ALTER COLUMN tx_id SET DEFAULT (pg_current_xact_id()::text::bigint);
ALTER TABLE events ALTER COLUMN tx_id SET NOT NULL;
"""
_DEAD_LETTER_PLACE = "uq_dead_letters_place"
_PLACE_COLUMNS = 'consumer, topic, "partition", "offset"'
_DEAD_LETTERS_V4 = (
    "ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS raw_key BYTEA",
    "ALTER TABLE dead_letters ALTER COLUMN value DROP NOT NULL",
    f"DELETE FROM dead_letters WHERE id NOT IN (SELECT MIN(id) FROM dead_letters GROUP BY {_PLACE_COLUMNS})",
    f"CREATE UNIQUE INDEX IF NOT EXISTS {_DEAD_LETTER_PLACE} ON dead_letters ({_PLACE_COLUMNS})",
)
_LOCK_KEY = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
# Rows: below this, one INSERT of the rows costs less than setting up a COPY.
COPY_FROM = 100


class PostgresBackend:
    name = "postgresql"
    serialises_writers = False
    purge_rewrites = True  # VACUUM FULL (gsi_kernel.store.purge)
    schemas = True
    date_arrays = True

    # ---- the database ---------------------------------------------------------------------

    def engine(self, url: str, *, schema: str | None, pool_size: int, echo: bool) -> Engine:
        connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        return create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=pool_size // 2,
            pool_recycle=1800,
            # A lost database must answer fast (503, gsi_kernel.http.errors), not hold a request —
            # or the event loop, for a short command — for the defaults' 30 s or the OS's minutes.
            pool_timeout=POOL_TIMEOUT_S,
            connect_args=connect_args,
        )

    # ---- events and outbox ----------------------------------------------------------------

    def append_events(
        self,
        connection: Connection,
        stream_id: str,
        expected_version: int,
        new: Sequence[NewEvent],
        shared: dict[str, Any],
        published: Sequence[tuple[str, dict[str, Any]]],
    ) -> Written:
        return dict(_pg_bulk.append(connection, stream_id, expected_version, new, shared, published))

    def insert_new_events(
        self, connection: Connection, new: Sequence[NewEvent], shared: dict[str, Any]
    ) -> Written:
        if len(new) < COPY_FROM:
            return dict(_pg_bulk.insert_new_events(connection, new, shared))
        return dict(_pg_copy.insert_new_events(connection, new, shared))

    def load_events(self, connection: Connection, stream_id: str, source: str) -> list[EventEnvelope]:
        return _envelopes(_pg_bulk.execute(connection, _pg_bulk.LOAD, {"stream_id": stream_id}), source)

    def read_events(
        self, connection: Connection, after: Cursor, limit: int, *, settled: bool, source: str
    ) -> list[EventEnvelope]:
        params = {"tx": after[0], "pos": after[1], "limit": limit}
        sql = _pg_bulk.READ_ALL_SETTLED if settled else _pg_bulk.READ_ALL
        return _envelopes(_pg_bulk.execute(connection, sql, params), source)

    def insert_outbox(self, connection: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        if len(rows) < COPY_FROM:
            _pg_bulk.insert_outbox(connection, rows, now)  # one statement
        else:
            _pg_copy.insert_outbox(connection, rows, now)

    def unsent_outbox(self, connection: Connection, limit: int) -> Sequence[tuple[int, str, str, bytes, str]]:
        return _pg_bulk.execute(connection, _pg_bulk.UNSENT, {"limit": limit}).fetchall()

    def mark_outbox_sent(self, connection: Connection, ids: Sequence[int], now: datetime) -> None:
        _pg_bulk.execute(connection, _pg_bulk.MARK_SENT, {"ids": list(ids), "now": now})

    # ---- rows -----------------------------------------------------------------------------

    def insert(self, table: Table) -> Any:
        return pg_insert(table)

    def insert_rows(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        _pg_bulk.insert_rows(connection, table, rows)

    def copy_rows(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if len(rows) < COPY_FROM:
            _pg_bulk.insert_rows(connection, table, rows)
            return
        names = [c.name for c in table.columns]
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        columns = ", ".join(f'"{n}"' for n in names)
        copy_in = f'COPY "{table.name}" ({columns}) FROM STDIN'
        with _pg_bulk.driver(connection).cursor() as cursor, cursor.copy(copy_in) as copy:
            for row in rows:
                copy.write_row([Jsonb(row.get(n)) if n in json_columns else row.get(n) for n in names])

    def next_number(
        self,
        connection: Connection,
        sequence: DbSequence,
        counter: Table,  # noqa: ARG002 (a sequence: no counter row)
        name: str,  # noqa: ARG002
    ) -> int:
        return int(connection.execute(select(func.nextval(sequence.name))).scalar_one())

    def lock_rows(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update()

    def claim_rows(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update(skip_locked=True)

    def lock_key(self, connection: Connection, key: str) -> None:
        connection.execute(_LOCK_KEY, {"key": key})

    def hold_appends(self, connection: Connection) -> None:
        # Waits for the appending transactions under way, and holds off new ones.
        connection.exec_driver_sql("LOCK TABLE events IN SHARE MODE")

    # ---- reads ----------------------------------------------------------------------------

    def select_prepared(
        self, connection: Connection, select: PreparedSelect, params: Mapping[str, Any]
    ) -> Sequence[Any]:
        return _pg_prepared.select_prepared(connection, select, params)

    def prefetch(self, connection: Connection, reads: Sequence[Read]) -> None:
        _pg_prepared.prefetch(connection, reads)

    # ---- schema (migrations) --------------------------------------------------------------

    def create_event_guard(self, connection: Connection) -> None:
        connection.exec_driver_sql(_GUARD)

    def drop_event_guard(self, connection: Connection) -> None:
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS gsi_events_are_immutable() CASCADE")

    def upgrade_dead_letters_v4(self, connection: Connection, kept: Sequence[str]) -> None:  # noqa: ARG002
        for statement in _DEAD_LETTERS_V4:
            connection.exec_driver_sql(statement)


POSTGRES = PostgresBackend()


def _envelopes(rows: Iterable[tuple[Any, ...]], source: str) -> list[EventEnvelope]:
    """Envelopes from rows in :data:`._pg_bulk.EVENT_COLUMNS` order, straight from psycopg."""
    return [
        EventEnvelope(
            event_id=event_id,
            type=type_,
            schema_version=schema_version,
            source=source,
            stream_id=stream_id,
            stream_version=version,
            occurred_at=occurred_at.astimezone(UTC),
            recorded_at=recorded_at.astimezone(UTC),
            actor=actor,
            organization=organization,
            correlation_id=correlation_id,
            causation_id=causation_id,
            traceparent=traceparent,
            payload=payload,
            position=position,
            tx_id=tx_id,
            projected=projected,
        )
        for (
            position,
            tx_id,
            event_id,
            stream_id,
            version,
            type_,
            schema_version,
            payload,
            occurred_at,
            recorded_at,
            actor,
            organization,
            correlation_id,
            causation_id,
            traceparent,
            projected,
        ) in rows
    ]
