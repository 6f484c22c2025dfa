"""The kernel's tables, present in every service's own database (or PostgreSQL schema).

Each service's first migration creates them with :func:`gsi_kernel.store.ddl.create_kernel_tables_v1`;
its ``migrations/env.py`` joins them with its own tables into the one metadata its migrations
are generated from and checked against (:mod:`gsi_kernel.migrations`, ADR 24).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from gsi_kernel.store.types import AutoId, UtcDateTime

metadata = MetaData()


class CurrentTxId(FunctionElement[int]):
    """The appending transaction's id on PostgreSQL, as a column default; nothing elsewhere."""

    type = BigInteger()
    inherit_cache = True


@compiles(CurrentTxId, "postgresql")
def _pg_current_tx_id(_element: CurrentTxId, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "pg_current_xact_id()::text::bigint"


@compiles(CurrentTxId)
def _no_tx_id(_element: CurrentTxId, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "NULL"


events = Table(
    "events",
    metadata,
    Column("position", AutoId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("stream_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(120), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("organization", String(100)),
    Column("correlation_id", String(36), nullable=False),
    Column("causation_id", String(36)),
    Column("traceparent", String(55)),
    Column("payload", JSON, nullable=False),
    # PostgreSQL: the appending transaction's id (a server default, never NULL), so that readers
    # can follow commit order without writers taking a lock. SQLite: unused (writers are serial),
    # NULL (gsi_kernel.migrations.service_metadata reads the info).
    Column("tx_id", BigInteger, server_default=CurrentTxId(), info={"postgresql_nullable": False}),
    # The service's read models took the event in in the appending transaction (ADR 16).
    Column("projected", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    Index("ix_events_commit_order", "tx_id", "position"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Index(
        "ix_outbox_unsent",
        "id",
        postgresql_where=text("sent_at IS NULL"),
        sqlite_where=text("sent_at IS NULL"),
    ),
)

processed = Table(
    "processed",
    metadata,
    Column("consumer", String(120), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("outcome", String(20), nullable=False),  # "applied" | "dead_lettered"
    Column("processed_at", UtcDateTime(), nullable=False),
)

# A record a consumer could not apply (gsi_kernel.dead_letters): one row per place in the log,
# whatever the record's bytes. ``error`` is redacted (gsi_kernel.failures, gsi_kernel.inbound).
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("consumer", String(120), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", String(200), nullable=False),  # printable and cut short: for reading
    Column("raw_key", LargeBinary),  # the key's exact bytes (kernel v4; NULL in older rows)
    Column("value", LargeBinary),  # NULL: a null value (a tombstone)
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
    Index("uq_dead_letters_place", "consumer", "topic", "partition", "offset", unique=True),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("tx_id", BigInteger, nullable=False, default=0),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Events a projection could not apply (ADR 6, "Parking"): the catch-up moved on past each, and
# an administrator retries or skips it. ``error`` is redacted (gsi_kernel.failures): the class
# and SQLSTATE of what failed, never the event's values.
parked_events = Table(
    "parked_events",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("projection", String(120), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("stream_id", String(200), nullable=False),
    Column("tx_id", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime()),
    Column("resolution", String(20)),  # "retried" | "skipped" | "rebuilt"
    Column("resolved_by", String(200)),
    Column("reason", Text),
    Index("ix_parked_events_projection", "projection", "resolved_at"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

# The first answer to each ``Idempotency-Key`` (gsi_kernel.store.idempotency, ADR 21), for 24 h.
# ``key_hash``: the key with its caller's identity, hashed (no user id stored); ``fingerprint``:
# the request's method, path and body, hashed (never the body itself). ``state``: "pending"
# (reserved by ``owner``, a request running until ``lease_until``), "committed" (a transaction
# of that request committed), "done" (its answer is below).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(10), nullable=False),
    Column("owner", String(36), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("status", Integer),
    Column("headers", JSON),
    Column("body", LargeBinary),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
