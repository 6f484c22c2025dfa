"""The event store: append with an expected version, load a stream, read everything in commit
order by global position.

Commit order on PostgreSQL: a sequence hands out positions in *insert* order, and two
transactions can commit in the other order, so a reader following positions could skip an
event that commits later with a smaller position. Appends therefore take a transaction-scoped
advisory lock first (the same idea as pyeventsourcing's table lock): positions are then given
and committed one transaction at a time. SQLite serialises writers by itself.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.tables import events

# Built once: SQLAlchemy then only binds parameters (this is the hot path of every command).
_INSERT = insert(events).returning(events.c.position, sort_by_parameter_order=True)
_VERSION = select(func.coalesce(func.max(events.c.version), 0)).where(
    events.c.stream_id == bindparam("stream_id")
)
_LOAD = select(events).where(events.c.stream_id == bindparam("stream_id")).order_by(events.c.version)
_READ_ALL = (
    select(events)
    .where(events.c.position > bindparam("after"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)


class EventStore:
    def __init__(self, *, source: str, clock: Clock) -> None:
        self._source = source
        self._clock = clock

    def append(
        self,
        connection: Connection,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[DomainEvent],
        context: CommandContext,
    ) -> list[EventEnvelope]:
        """Append after ``expected_version`` (0 for a new stream) or raise ConcurrencyConflict."""
        if not new_events:
            return []
        self._serialise_writers(connection)
        # A new stream needs no look: its version 1 is unique, so a concurrent creator loses
        # on the constraint. An existing one is checked, which also refuses a gap.
        if expected_version and self.stream_version(connection, stream_id) != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version)
        now = self._clock.now()
        envelopes = [
            EventEnvelope(
                event_id=str(uuid.uuid4()),
                type=event.event_type,
                schema_version=event.schema_version,
                source=self._source,
                stream_id=stream_id,
                stream_version=expected_version + i,
                occurred_at=now,
                recorded_at=now,
                actor=context.actor,
                organization=context.organization,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                traceparent=context.traceparent,
                payload=event.to_payload(),
            )
            for i, event in enumerate(new_events, start=1)
        ]
        try:
            result = connection.execute(_INSERT, [_row(e) for e in envelopes])
        except IntegrityError as exc:
            raise ConcurrencyConflict(stream_id, expected_version) from exc
        positions = [row.position for row in result]
        return [e.with_position(p) for e, p in zip(envelopes, positions, strict=True)]

    def stream_version(self, connection: Connection, stream_id: str) -> int:
        return int(connection.execute(_VERSION, {"stream_id": stream_id}).scalar_one())

    def load(self, connection: Connection, stream_id: str) -> list[EventEnvelope]:
        return [self._envelope(row._mapping) for row in connection.execute(_LOAD, {"stream_id": stream_id})]

    def read_all(self, connection: Connection, *, after: int = 0, limit: int = 1000) -> list[EventEnvelope]:
        """Events with a position greater than ``after``, in commit order."""
        rows = connection.execute(_READ_ALL, {"after": after, "limit": limit})
        return [self._envelope(row._mapping) for row in rows]

    def last_position(self, connection: Connection) -> int:
        return int(connection.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one())

    def _serialise_writers(self, connection: Connection) -> None:
        if connection.dialect.name != "postgresql":
            return
        key = connection.info.get("gsi.events_lock_key")  # per DBAPI connection: its schema is fixed
        if key is None:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
            key = connection.info["gsi.events_lock_key"] = zlib.crc32(f"gsi.events.{schema}".encode())
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (key,))

    def _envelope(self, row: Any) -> EventEnvelope:
        return EventEnvelope(
            event_id=row["event_id"],
            type=row["type"],
            schema_version=row["schema_version"],
            source=self._source,
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
        )


def _row(e: EventEnvelope) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "stream_id": e.stream_id,
        "version": e.stream_version,
        "type": e.type,
        "schema_version": e.schema_version,
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
        "actor": e.actor,
        "organization": e.organization,
        "correlation_id": e.correlation_id,
        "causation_id": e.causation_id,
        "traceparent": e.traceparent,
        "payload": e.payload,
    }
