"""Schema operations for migrations: the kernel tables, and the database-level guard that makes
stored events immutable (no UPDATE, DELETE or TRUNCATE), on PostgreSQL and on SQLite (each
backend's DDL in its own module)."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.tables import dead_letters, idempotency_keys, metadata, parked_events

_DEAD_LETTER_PLACE = "uq_dead_letters_place"


def create_kernel_tables_v1(connection: Connection) -> None:
    """Create the event store, outbox, consumer and lease tables, and the immutability guard.

    Version 1 of the kernel schema, frozen: a later change to the kernel tables comes as an
    ``upgrade_kernel_tables_vN`` (v2, v3…) that every service's next migration calls.
    """
    metadata.create_all(connection)
    backend_of(connection).create_event_guard(connection)


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
    backend_of(connection).upgrade_dead_letters_v4(connection, [c for c in columns if c in dead_letters.c])


def _v4_idempotency(connection: Connection) -> None:
    """The first answer to each ``Idempotency-Key``."""
    if inspect(connection).has_table("idempotency_keys"):
        return
    idempotency_keys.create(connection)


def drop_kernel_tables(connection: Connection) -> None:
    backend_of(connection).drop_event_guard(connection)
    metadata.drop_all(connection)
