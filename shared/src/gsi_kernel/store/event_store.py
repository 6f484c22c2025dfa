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

import os
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.outbox import Publication, outbox_row
from gsi_kernel.store.ports import Cursor, NewEvent
from gsi_kernel.store.tables import events

__all__ = ["Cursor", "EventStore", "shared_columns"]

# Built once: SQLAlchemy then only binds parameters.
_VERSION = select(func.coalesce(func.max(events.c.version), 0)).where(
    events.c.stream_id == bindparam("stream_id")
)
_LAST_POSITION = select(func.coalesce(func.max(events.c.position), 0))


def _new_event(stream_id: str, version: int, event: DomainEvent, event_id: str | None = None) -> NewEvent:
    event_id = event_id or str(uuid.uuid4())
    return (event_id, stream_id, version, event.event_type, event.schema_version, event.to_payload())


def new_event_ids(n: int) -> list[str]:
    """``n`` random (version 4) UUIDs from one read of the OS's random bytes: ``uuid.uuid4()``
    reads them once per id, and that was a tenth of a bulk append's own time (issue 23)."""
    raw = bytearray(os.urandom(16 * n))
    raw[6::16] = bytes(b & 0x0F | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes(b & 0x3F | 0x80 for b in raw[8::16])  # RFC 4122 variant
    h = raw.hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-{h[i + 12 : i + 16]}-{h[i + 16 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, 32 * n, 32)
    ]


def shared_columns(context: CommandContext, now: datetime, *, projected: bool = False) -> dict[str, Any]:
    """The columns every event of one command (or one import) has in common. ``projected``:
    the service's read models take these events in in the appending transaction (ADR 16)."""
    return {
        "occurred_at": now,
        "recorded_at": now,
        "actor": context.actor,
        "organization": context.organization,
        "correlation_id": context.correlation_id,
        "causation_id": context.causation_id,
        "traceparent": context.traceparent,
        "projected": projected,
    }


class EventStore:
    """The event store (:class:`~gsi_kernel.store.ports.EventStorePort`): what every backend
    does the same here, their rows through :class:`~gsi_kernel.store.ports.EventRecorder`."""

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
        shared = shared_columns(context, now, projected=projected)
        new = [_new_event(stream_id, expected_version + i, e) for i, e in enumerate(new_events, start=1)]
        envelopes = [self._recorded(n, shared, None, None) for n in new]  # what publish sees
        published = [
            (e.event_id, outbox_row(p, now)) for e in envelopes for p in (publish(e) if publish else ())
        ]
        try:
            written = backend_of(connection).append_events(
                connection, stream_id, expected_version, new, shared, published
            )
        except IntegrityError as exc:  # a concurrent writer took one of these versions first
            raise ConcurrencyConflict(stream_id, expected_version) from exc
        if len(written) < len(envelopes):  # the stream had moved on (or had a gap)
            raise ConcurrencyConflict(stream_id, expected_version)
        return [e.with_position(*written[e.event_id]) for e in envelopes]

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
        shared = shared_columns(context, self._clock.now(), projected=projected)
        ids = iter(new_event_ids(sum(len(evs) for _, evs in streams)))
        given = [(_new_event(s, 1, evs[0], next(ids)), evs) for s, evs in streams if evs]
        written = self._insert_new(connection, [first for first, _ in given], shared)
        if not skip_existing and len(written) < len(given):
            raise ConcurrencyConflict(next(f[1] for f, _ in given if f[0] not in written), 0)
        kept = [(first, evs) for first, evs in given if first[0] in written]
        # Versions 2..n only for the streams whose version 1 went in: they belong to this
        # transaction now, so nothing can clash.
        rest = {
            first[1]: [_new_event(first[1], v, e, next(ids)) for v, e in enumerate(evs[1:], 2)]
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
        self, connection: Connection, new: list[NewEvent], shared: dict[str, Any]
    ) -> dict[str, tuple[int, int | None]]:
        """Insert what does not clash; ``event id -> (position, tx_id)`` of what went in."""
        if not new:
            return {}
        return backend_of(connection).insert_new_events(connection, new, shared)

    def _recorded(
        self, new: NewEvent, shared: dict[str, Any], position: int | None, tx_id: int | None
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
        return backend_of(connection).load_events(connection, stream_id, self._source)

    def read_all(
        self, connection: Connection, *, after: Cursor = (0, 0), limit: int = 1000, settled: bool = False
    ) -> list[EventEnvelope]:
        """Events after the cursor ``after``, in commit order (their ``cursor`` continues it).
        ``settled``: the caller holds appends off (no appending transaction is running), so
        every committed event is read, even past the horizon a long transaction holds back."""
        return backend_of(connection).read_events(
            connection, after, limit, settled=settled, source=self._source
        )

    def last_position(self, connection: Connection) -> int:
        return int(connection.execute(_LAST_POSITION).scalar_one())
