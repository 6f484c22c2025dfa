"""The event store: append with an expected version, load a stream, read everything in commit
order.

Commit order on PostgreSQL: a sequence hands out positions in *insert* order, and transactions
can commit in another order, so a reader following positions alone could skip an event that
commits late with a smaller position. Writers take no lock for that; instead every event keeps
its transaction's id, readers follow ``(transaction id, position)`` and read only events of
transactions older than the oldest one still running (``pg_snapshot_xmin``): whatever commits
later sorts after everything already read. (Other PostgreSQL event stores use the same
technique.) SQLite serialises writers by itself, so there the position alone is commit order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, literal_column, select, tuple_
from sqlalchemy.exc import IntegrityError

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.tables import events

# Built once: SQLAlchemy then only binds parameters (this is the hot path of every command).
_INSERT = insert(events).returning(events.c.position, events.c.tx_id, sort_by_parameter_order=True)
_VERSION = select(func.coalesce(func.max(events.c.version), 0)).where(
    events.c.stream_id == bindparam("stream_id")
)
_LOAD = select(events).where(events.c.stream_id == bindparam("stream_id")).order_by(events.c.version)
_READ_ALL_SQLITE = (
    select(events)
    .where(events.c.position > bindparam("pos"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)
_OLDEST_RUNNING: ColumnElement[int] = literal_column(
    "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"
)
_READ_ALL_POSTGRES = (
    select(events)
    .where(
        tuple_(events.c.tx_id, events.c.position) > tuple_(bindparam("tx"), bindparam("pos")),
        events.c.tx_id < _OLDEST_RUNNING,
    )
    .order_by(events.c.tx_id, events.c.position)
    .limit(bindparam("limit"))
)

Cursor = tuple[int, int]  # (transaction id, position): commit order


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
        return [e.with_position(row.position, row.tx_id) for e, row in zip(envelopes, result, strict=True)]

    def stream_version(self, connection: Connection, stream_id: str) -> int:
        return int(connection.execute(_VERSION, {"stream_id": stream_id}).scalar_one())

    def load(self, connection: Connection, stream_id: str) -> list[EventEnvelope]:
        return [self._envelope(row._mapping) for row in connection.execute(_LOAD, {"stream_id": stream_id})]

    def read_all(
        self, connection: Connection, *, after: Cursor = (0, 0), limit: int = 1000
    ) -> list[EventEnvelope]:
        """Events after the cursor ``after``, in commit order (their ``cursor`` continues it)."""
        if connection.dialect.name == "postgresql":
            query, params = _READ_ALL_POSTGRES, {"tx": after[0], "pos": after[1], "limit": limit}
        else:
            query, params = _READ_ALL_SQLITE, {"pos": after[1], "limit": limit}
        return [self._envelope(row._mapping) for row in connection.execute(query, params)]

    def last_position(self, connection: Connection) -> int:
        return int(connection.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one())

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
            tx_id=row["tx_id"],
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
