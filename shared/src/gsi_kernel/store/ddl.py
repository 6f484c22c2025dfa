"""Schema operations for migrations: the kernel tables, and the database-level guard that makes
stored events immutable (no UPDATE, DELETE or TRUNCATE), on PostgreSQL and on SQLite."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from gsi_kernel.store.tables import metadata, parked_events

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


def drop_kernel_tables(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS gsi_events_are_immutable() CASCADE")
    metadata.drop_all(connection)
