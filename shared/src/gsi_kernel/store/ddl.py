"""Schema operations for migrations: the kernel tables, and the database-level guard that makes
stored events immutable (no UPDATE, DELETE or TRUNCATE), on PostgreSQL and on SQLite."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from gsi_kernel.store.tables import dead_letters, idempotency_keys, metadata, parked_events

_PG_GUARD = """
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

_SQLITE_GUARD = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE refused'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are immutable: DELETE refused'); END",
)


_DEAD_LETTER_PLACE = "uq_dead_letters_place"
_PLACE_COLUMNS = 'consumer, topic, "partition", "offset"'
_PG_DEAD_LETTERS_V4 = (
    "ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS raw_key BYTEA",
    "ALTER TABLE dead_letters ALTER COLUMN value DROP NOT NULL",
    f"DELETE FROM dead_letters WHERE id NOT IN (SELECT MIN(id) FROM dead_letters GROUP BY {_PLACE_COLUMNS})",
    f"CREATE UNIQUE INDEX IF NOT EXISTS {_DEAD_LETTER_PLACE} ON dead_letters ({_PLACE_COLUMNS})",
)


def create_kernel_tables_v1(connection: Connection) -> None:
    """Create the event store, outbox, consumer and lease tables, and the immutability guard.

    Version 1 of the kernel schema, frozen: a later change to the kernel tables comes as an
    ``upgrade_kernel_tables_vN`` (v2, v3…) that every service's next migration calls.
    """
    metadata.create_all(connection)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_PG_GUARD)
    else:
        for statement in _SQLITE_GUARD:
            connection.exec_driver_sql(statement)


def upgrade_kernel_tables_v2(connection: Connection) -> None:
    """Version 2: ``events.projected``, whether the service's read models took an event in in
    the appending transaction (ADR 16). Existing events were not: the checkpointed catch-up
    applies those it has not reached. (Version 1 builds from the current table definitions,
    so a database created by it already has the column.)"""
    if "projected" in {c["name"] for c in inspect(connection).get_columns("events")}:
        return
    connection.exec_driver_sql("ALTER TABLE events ADD COLUMN projected BOOLEAN NOT NULL DEFAULT false")


def upgrade_kernel_tables_v3(connection: Connection) -> None:
    """Version 3: ``parked_events``, the events a projection could not apply and moved past
    (ADR 6). (Version 1 builds from the current table definitions, so a database created by it
    already has the table.)"""
    if inspect(connection).has_table("parked_events"):
        return
    parked_events.create(connection)


def upgrade_kernel_tables_v4(connection: Connection) -> None:
    """Version 4: consumers dead-letter any record whatever its bytes (issue 19), and
    state-changing requests carry an ``Idempotency-Key``. (Version 1 builds from the current
    table definitions, so each step below checks what is already there.)"""
    _v4_dead_letters(connection)
    _v4_idempotency(connection)


def _v4_dead_letters(connection: Connection) -> None:
    """Dead letters hold any record — a null value, a key of any bytes and length (``raw_key``)
    — and one row per place in the log (a unique index; earlier duplicates, the copies a
    consumer stuck on one record made, are dropped but the first)."""
    inspector = inspect(connection)
    columns = {c["name"]: c for c in inspector.get_columns("dead_letters")}
    indexes = {i["name"] for i in inspector.get_indexes("dead_letters")}
    if "raw_key" in columns and columns["value"]["nullable"] and _DEAD_LETTER_PLACE in indexes:
        return  # built by version 1 from the current definitions
    if connection.dialect.name == "postgresql":
        for statement in _PG_DEAD_LETTERS_V4:
            connection.exec_driver_sql(statement)
        return
    # SQLite cannot drop a NOT NULL in place: the table is rebuilt from its definition.
    kept = ", ".join(f'"{c}"' for c in columns if c in dead_letters.c)
    connection.exec_driver_sql(f"DROP INDEX IF EXISTS {_DEAD_LETTER_PLACE}")
    connection.exec_driver_sql("ALTER TABLE dead_letters RENAME TO dead_letters_v3")
    dead_letters.create(connection)
    connection.exec_driver_sql(
        f"INSERT INTO dead_letters ({kept}) SELECT {kept} FROM dead_letters_v3 WHERE id IN"
        f" (SELECT MIN(id) FROM dead_letters_v3 GROUP BY {_PLACE_COLUMNS})"
    )
    connection.exec_driver_sql("DROP TABLE dead_letters_v3")


def _v4_idempotency(connection: Connection) -> None:
    """The first answer to each ``Idempotency-Key``."""
    if inspect(connection).has_table("idempotency_keys"):
        return
    idempotency_keys.create(connection)


def drop_kernel_tables(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS gsi_events_are_immutable() CASCADE")
    metadata.drop_all(connection)
