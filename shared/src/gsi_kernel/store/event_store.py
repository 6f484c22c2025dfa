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
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store import bulk
from gsi_kernel.store.outbox import Publication, outbox_row
from gsi_kernel.store.tables import events, outbox

# Built once: SQLAlchemy then only binds parameters (this is the hot path of every command).
_INSERT = insert(events).returning(events.c.position, events.c.tx_id, sort_by_parameter_order=True)
# New streams in bulk: a version 1 that already exists is skipped, not an error, and the rows
# that went in say so (the caller then either skips those streams or refuses the whole batch).
# (PostgreSQL takes them as arrays, see :mod:`gsi_kernel.store.bulk`.)
_INSERT_NEW_SQLITE = (
    sqlite.insert(events)
    .on_conflict_do_nothing(index_elements=[events.c.stream_id, events.c.version])
    .returning(events.c.event_id, events.c.position, events.c.tx_id)
)
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
Cursor = tuple[int, int]  # (transaction id, position): commit order


def _new_event(stream_id: str, version: int, event: DomainEvent) -> bulk.NewEvent:
    return (str(uuid.uuid4()), stream_id, version, event.event_type, event.schema_version, event.to_payload())


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
        *,
        publish: Callable[[EventEnvelope], Sequence[Publication]] | None = None,
        projected: bool = False,
    ) -> list[EventEnvelope]:
        """Append after ``expected_version`` (0 for a new stream) or raise ConcurrencyConflict.

        ``publish``: what each event publishes, put in the outbox with it (on PostgreSQL in the
        same statement). It sees the events before the store numbers them (no position yet).
        ``projected``: the caller applies the events to the read models in this transaction."""
        if not new_events:
            return []
        now = self._clock.now()
        shared = bulk.shared_columns(context, now, projected=projected)
        new = [_new_event(stream_id, expected_version + i, e) for i, e in enumerate(new_events, start=1)]
        envelopes = [self._recorded(n, shared, None, None) for n in new]
        published = [
            (e.event_id, outbox_row(p, now)) for e in envelopes for p in (publish(e) if publish else ())
        ]
        written: dict[str, tuple[int, int | None]]
        try:
            if connection.dialect.name == "postgresql":
                written = dict(bulk.append(connection, stream_id, expected_version, new, shared, published))
            else:
                written = self._append_sqlite(connection, stream_id, expected_version, envelopes, published)
        except IntegrityError as exc:  # a concurrent writer took one of these versions first
            raise ConcurrencyConflict(stream_id, expected_version) from exc
        if len(written) < len(envelopes):  # the stream had moved on (or had a gap)
            raise ConcurrencyConflict(stream_id, expected_version)
        return [e.with_position(*written[e.event_id]) for e in envelopes]

    def _append_sqlite(
        self,
        connection: Connection,
        stream_id: str,
        expected_version: int,
        envelopes: list[EventEnvelope],
        published: list[tuple[str, dict[str, Any]]],
    ) -> dict[str, tuple[int, int | None]]:
        # A new stream needs no look: its version 1 is unique, so a concurrent creator loses
        # on the constraint. An existing one is checked, which also refuses a gap.
        if expected_version and self.stream_version(connection, stream_id) != expected_version:
            return {}
        result = connection.execute(_INSERT, [_row(e) for e in envelopes])
        written = {e.event_id: (row.position, row.tx_id) for e, row in zip(envelopes, result, strict=True)}
        if published:
            connection.execute(insert(outbox), [row for _, row in published])
        return written

    def append_new_streams(
        self,
        connection: Connection,
        streams: Sequence[tuple[str, Sequence[DomainEvent]]],
        context: CommandContext,
        *,
        skip_existing: bool = False,
        projected: bool = False,
    ) -> list[EventEnvelope]:
        """Append each stream as a new one (versions 1..n), in a few multi-row statements.

        A stream that already exists (or comes twice) is left out with ``skip_existing``, and
        raises ConcurrencyConflict otherwise — the caller's transaction then writes nothing.
        Returns the recorded events, stream by stream in the given order. ``projected``: as
        for :meth:`append`."""
        shared = bulk.shared_columns(context, self._clock.now(), projected=projected)
        given = [(_new_event(s, 1, evs[0]), evs) for s, evs in streams if evs]
        written = self._insert_new(connection, [first for first, _ in given], shared)
        if not skip_existing and len(written) < len(given):
            raise ConcurrencyConflict(next(f[1] for f, _ in given if f[0] not in written), 0)
        kept = [(first, evs) for first, evs in given if first[0] in written]
        # Versions 2..n only for the streams whose version 1 went in: they belong to this
        # transaction now, so nothing can clash.
        rest = {
            first[1]: [_new_event(first[1], v, e) for v, e in enumerate(evs[1:], 2)]
            for first, evs in kept
            if len(evs) > 1
        }
        written.update(self._insert_new(connection, [e for later in rest.values() for e in later], shared))
        return [
            self._recorded(new, shared, *written[new[0]])
            for first, _ in kept
            for new in (first, *rest.get(first[1], ()))
        ]

    def _insert_new(
        self, connection: Connection, new: list[bulk.NewEvent], shared: dict[str, Any]
    ) -> dict[str, tuple[int, int | None]]:
        """Insert what does not clash; ``event id -> (position, tx_id)`` of what went in."""
        if not new:
            return {}
        if connection.dialect.name == "postgresql":
            return dict(bulk.insert_new_events(connection, new, shared))
        rows = [dict(zip(bulk.NEW_EVENT_FIELDS, n, strict=True)) | shared for n in new]
        return {r.event_id: (r.position, r.tx_id) for r in connection.execute(_INSERT_NEW_SQLITE, rows)}

    def _recorded(
        self, new: bulk.NewEvent, shared: dict[str, Any], position: int | None, tx_id: int | None
    ) -> EventEnvelope:
        event_id, stream_id, version, type_, schema_version, payload = new
        return EventEnvelope(
            event_id=event_id,
            type=type_,
            schema_version=schema_version,
            source=self._source,
            stream_id=stream_id,
            stream_version=version,
            payload=payload,
            position=position,
            tx_id=tx_id,
            **shared,
        )

    def stream_version(self, connection: Connection, stream_id: str) -> int:
        return int(connection.execute(_VERSION, {"stream_id": stream_id}).scalar_one())

    def load(self, connection: Connection, stream_id: str) -> list[EventEnvelope]:
        if connection.dialect.name == "postgresql":
            return self._envelopes(bulk.execute(connection, bulk.LOAD, {"stream_id": stream_id}))
        return [self._envelope(row._mapping) for row in connection.execute(_LOAD, {"stream_id": stream_id})]

    def read_all(
        self, connection: Connection, *, after: Cursor = (0, 0), limit: int = 1000, settled: bool = False
    ) -> list[EventEnvelope]:
        """Events after the cursor ``after``, in commit order (their ``cursor`` continues it).
        ``settled``: the caller holds appends off (no appending transaction is running), so
        every committed event is read, even past the horizon a long transaction holds back."""
        if connection.dialect.name == "postgresql":
            params = {"tx": after[0], "pos": after[1], "limit": limit}
            sql = bulk.READ_ALL_SETTLED if settled else bulk.READ_ALL
            return self._envelopes(bulk.execute(connection, sql, params))
        rows = connection.execute(_READ_ALL_SQLITE, {"pos": after[1], "limit": limit})
        return [self._envelope(row._mapping) for row in rows]

    def last_position(self, connection: Connection) -> int:
        return int(connection.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one())

    def _envelopes(self, rows: Iterable[tuple[Any, ...]]) -> list[EventEnvelope]:
        """Envelopes from rows in :data:`bulk.EVENT_COLUMNS` order (PostgreSQL, straight from psycopg)."""
        source = self._source
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
            projected=bool(row["projected"]),
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
        "projected": e.projected,
    }
