"""The SQLite backend (:class:`~gsi_kernel.store.ports.Backend`), the embedded mode.

- WAL, foreign keys, a busy timeout, and every transaction opened with ``BEGIN IMMEDIATE``:
  SQLite then serialises writers up front instead of failing a reader that later tries to
  write (SQLITE_BUSY_SNAPSHOT), so a transaction never dies halfway. With one writer at a
  time, the position alone is commit order, row locks and advisory locks are not needed, and
  a rebuild already keeps every appender out.
- ``secure_delete``: what a delete or update frees is overwritten with zeros (ADR 19).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    Text,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.ports import NEW_EVENT_FIELDS, Cursor, NewEvent, Read, Written
from gsi_kernel.store.tables import dead_letters, events, outbox

if TYPE_CHECKING:
    from gsi_kernel.store.prepared import PreparedSelect

_INSERT = insert(events).returning(events.c.position, events.c.tx_id, sort_by_parameter_order=True)
_INSERT_OUTBOX = insert(outbox)
_UNSENT = (
    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, cast(outbox.c.headers, Text))
    .where(outbox.c.sent_at.is_(None))
    .order_by(outbox.c.id)
    .limit(bindparam("limit"))
)
_MARK_SENT = (
    update(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True))).values(sent_at=bindparam("now"))
)
# New streams in bulk: a version 1 that already exists is skipped, not an error, and the rows
# that went in say so.
_INSERT_NEW = (
    sqlite_insert(events)
    .on_conflict_do_nothing(index_elements=[events.c.stream_id, events.c.version])
    .returning(events.c.event_id, events.c.position, events.c.tx_id)
)
_VERSION = select(func.coalesce(func.max(events.c.version), 0)).where(
    events.c.stream_id == bindparam("stream_id")
)
_LOAD = select(events).where(events.c.stream_id == bindparam("stream_id")).order_by(events.c.version)
_READ_ALL = (
    select(events)
    .where(events.c.position > bindparam("pos"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)
_GUARD = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE refused'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are immutable: DELETE refused'); END",
)
_DEAD_LETTER_PLACE = "uq_dead_letters_place"
_PLACE_COLUMNS = 'consumer, topic, "partition", "offset"'
_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=30000",
    # Freed bytes are zeroed, not left in the page: an erased person's names must not stay
    # readable in the file (ADR 19; the WAL is purged by gsi_kernel.store.purge).
    "secure_delete=ON",
)


class SqliteBackend:
    name = "sqlite"
    serialises_writers = True
    purge_rewrites = False  # secure_delete zeroes the pages; a WAL checkpoint does the rest
    schemas = False
    date_arrays = False

    # ---- the database ---------------------------------------------------------------------

    def engine(self, url: str, *, schema: str | None, pool_size: int, echo: bool) -> Engine:  # noqa: ARG002
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": 30, "check_same_thread": False}
        )
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
        return engine

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
        # A new stream needs no look: its version 1 is unique, so a concurrent creator loses
        # on the constraint. An existing one is checked, which also refuses a gap.
        if (
            expected_version
            and connection.execute(_VERSION, {"stream_id": stream_id}).scalar_one() != expected_version
        ):
            return {}
        result = connection.execute(_INSERT, [_row(n, shared) for n in new])
        written: Written = {n[0]: (row.position, row.tx_id) for n, row in zip(new, result, strict=True)}
        if published:
            connection.execute(_INSERT_OUTBOX, [row for _, row in published])
        return written

    def insert_new_events(
        self, connection: Connection, new: Sequence[NewEvent], shared: dict[str, Any]
    ) -> Written:
        rows = [_row(n, shared) for n in new]
        return {r.event_id: (r.position, r.tx_id) for r in connection.execute(_INSERT_NEW, rows)}

    def load_events(self, connection: Connection, stream_id: str, source: str) -> list[EventEnvelope]:
        return [
            _envelope(row._mapping, source) for row in connection.execute(_LOAD, {"stream_id": stream_id})
        ]

    def read_events(
        self,
        connection: Connection,
        after: Cursor,
        limit: int,
        *,
        settled: bool,  # noqa: ARG002 (one writer at a time: every committed event is settled)
        source: str,
    ) -> list[EventEnvelope]:
        rows = connection.execute(_READ_ALL, {"pos": after[1], "limit": limit})
        return [_envelope(row._mapping, source) for row in rows]

    def insert_outbox(self, connection: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:  # noqa: ARG002
        connection.execute(_INSERT_OUTBOX, list(rows))

    def unsent_outbox(self, connection: Connection, limit: int) -> Sequence[tuple[int, str, str, bytes, str]]:
        return [tuple(row) for row in connection.execute(_UNSENT, {"limit": limit})]

    def mark_outbox_sent(self, connection: Connection, ids: Sequence[int], now: datetime) -> None:
        connection.execute(_MARK_SENT, {"ids": list(ids), "now": now})

    # ---- rows -----------------------------------------------------------------------------

    def insert(self, table: Table) -> Any:
        return sqlite_insert(table)

    def insert_rows(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            connection.execute(table.insert(), list(rows))

    def copy_rows(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        self.insert_rows(connection, table, rows)

    def next_number(
        self,
        connection: Connection,
        sequence: DbSequence,  # noqa: ARG002 (no sequences: a counter row)
        counter: Table,
        name: str,
    ) -> int:
        bump = (
            sqlite_insert(counter)
            .values(name=name, last_number=1)
            .on_conflict_do_update(index_elements=["name"], set_={"last_number": counter.c.last_number + 1})
            .returning(counter.c.last_number)
        )
        return int(connection.execute(bump).scalar_one())

    def lock_rows(self, query: Select[Any]) -> Select[Any]:
        return query  # BEGIN IMMEDIATE: the transaction already holds the writer's lock

    def claim_rows(self, query: Select[Any]) -> Select[Any]:
        return query

    def lock_key(self, connection: Connection, key: str) -> None:
        pass

    def hold_appends(self, connection: Connection) -> None:
        pass

    # ---- reads ----------------------------------------------------------------------------

    def select_prepared(
        self, connection: Connection, select: PreparedSelect, params: Mapping[str, Any]
    ) -> Sequence[Any]:
        return connection.execute(select.statement, dict(params)).all()

    def prefetch(self, connection: Connection, reads: Sequence[Read]) -> None:
        pass  # read when asked: no round trip to save

    # ---- schema (migrations) --------------------------------------------------------------

    def create_event_guard(self, connection: Connection) -> None:
        for statement in _GUARD:
            connection.exec_driver_sql(statement)

    def drop_event_guard(self, connection: Connection) -> None:
        pass  # the triggers go with the table

    def upgrade_dead_letters_v4(self, connection: Connection, kept: Sequence[str]) -> None:
        # SQLite cannot drop a NOT NULL in place: the table is rebuilt from its definition.
        columns = ", ".join(f'"{c}"' for c in kept)
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {_DEAD_LETTER_PLACE}")
        connection.exec_driver_sql("ALTER TABLE dead_letters RENAME TO dead_letters_v3")
        dead_letters.create(connection)
        connection.exec_driver_sql(
            f"INSERT INTO dead_letters ({columns}) SELECT {columns} FROM dead_letters_v3 WHERE id IN"
            f" (SELECT MIN(id) FROM dead_letters_v3 GROUP BY {_PLACE_COLUMNS})"
        )
        connection.exec_driver_sql("DROP TABLE dead_letters_v3")


SQLITE = SqliteBackend()


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take over
    cursor = dbapi_connection.cursor()
    for pragma in _PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _on_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _row(new: NewEvent, shared: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(NEW_EVENT_FIELDS, new, strict=True)) | shared


def _envelope(row: Any, source: str) -> EventEnvelope:
    return EventEnvelope(
        event_id=row["event_id"],
        type=row["type"],
        schema_version=row["schema_version"],
        source=source,
        stream_id=row["stream_id"],
        stream_version=row["version"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        actor=row["actor"],
        organization=row["organization"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        traceparent=row["traceparent"],
        payload=row["payload"],
        position=row["position"],
        tx_id=row["tx_id"],
        projected=bool(row["projected"]),
    )
