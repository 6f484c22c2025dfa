"""Executing a decision on one stream: load, decide, append with the expected version, put the
integration events in the outbox and, for a service whose projections are inline (ADR 16),
apply the events to its read models — all in one transaction."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.failures import describe, redacted_exc_info
from gsi_kernel.heap import gc_paused
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.outbox import Outbox, Publication

log = logging.getLogger(__name__)

Decide = Callable[[list[DomainEvent]], Sequence[DomainEvent]]
DecideWith = Callable[[Connection, list[DomainEvent]], Sequence[DomainEvent]]
# What an event publishes (integration events for the outbox). It sees the event as recorded,
# except for its position in the store, which a command's event gets in the same statement.
Publisher = Callable[[EventEnvelope], Sequence[Publication]]
# Applies a command's recorded events to the read models inside its transaction (ADR 16).
ProjectInline = Callable[[Connection, Sequence[EventEnvelope]], None]


def no_publication(_event: EventEnvelope) -> Sequence[Publication]:
    return ()


class StreamWriter:
    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        registry: EventRegistry,
        clock: Clock,
        publisher: Publisher = no_publication,
        project: Callable[[tuple[int, int]], object] = lambda _cursor: None,
        project_inline: ProjectInline | None = None,
    ) -> None:
        """Read-your-writes (ADR 16): ``project_inline(connection, events)`` applies a command's
        events in its transaction when given; otherwise ``project(cursor)``, after the commit,
        returns once the read models include the event at that cursor."""
        self._db = db
        self._store = store
        self._registry = registry
        self._clock = clock
        self._outbox = Outbox()
        self._publisher = publisher
        self._project = project
        self._project_inline = project_inline

    def execute(
        self, stream_id: str, decide: Decide, context: CommandContext, *, new_stream: bool = False
    ) -> list[EventEnvelope]:
        """Decide on the stream's history and record the outcome; raise the domain's errors as is."""
        return self.execute_with(
            stream_id, lambda _connection, history: decide(history), context, new_stream=new_stream
        )

    def execute_with(
        self, stream_id: str, decide: DecideWith, context: CommandContext, *, new_stream: bool = False
    ) -> list[EventEnvelope]:
        """The same, for a decision that needs the transaction too (to read a read model, seal
        personal data, or write a row that must commit with the events). ``new_stream``: the
        caller just made the id up, so there is no history to load (a clash still conflicts)."""
        with self._db.transaction() as connection:
            recorded = self._record(connection, stream_id, decide, context, new_stream=new_stream)
        if recorded and self._project_inline is None:
            self._project_safely(stream_id, recorded[-1].cursor)
        return recorded

    def append_new_streams(
        self,
        streams: Sequence[tuple[str, Sequence[DomainEvent]]],
        context: CommandContext,
        *,
        skip_existing: bool = False,
    ) -> list[str]:
        """Append each stream's events as a new stream (versions 1..n), all in one transaction with
        their outbox rows, then catch the read models up once. Returns the ids of the streams written.
        skip_existing: streams that already exist are left alone and left out of the result
        (idempotent re-imports); otherwise an existing stream raises ConcurrencyConflict and nothing
        is written."""
        return self.execute_new_streams(lambda _connection: streams, context, skip_existing=skip_existing)

    def execute_new_streams(
        self,
        decide: Callable[[Connection], Sequence[tuple[str, Sequence[DomainEvent]]]],
        context: CommandContext,
        *,
        skip_existing: bool = False,
    ) -> list[str]:
        """The same, for new streams decided inside the transaction (a decision that reads the
        read models, e.g. a group session's attendees or an import's rows)."""
        # A bulk append builds many young objects without cycles: the collector stays off meanwhile.
        with self._db.transaction() as connection, gc_paused():
            streams = decide(connection)
            recorded = self._store.append_new_streams(
                connection, streams, context, skip_existing=skip_existing, projected=self._inline
            )
            publications = [p for event in recorded for p in self._publisher(event)]
            self._outbox.put(connection, publications, self._clock.now())
            if self._project_inline is not None and recorded:
                self._project_inline(connection, recorded)
        if not recorded:
            return []
        if self._project_inline is None:
            self._project_safely(f"{len(recorded)} new streams", max(e.cursor for e in recorded))
        return list(dict.fromkeys(e.stream_id for e in recorded))

    def _project_safely(self, stream_id: str, cursor: tuple[int, int]) -> None:
        """Catch the read models up (read-your-writes), after the append's transaction: under
        load one catch-up projects the events of many commands. A failing read model must not
        fail a committed command: the background projection worker retries it."""
        try:
            self._project(cursor)
        except Exception as exc:  # the events are committed; only the read model lags, and is retried
            log.error(  # redacted: a database error's text carries the values it refused
                "projecting after %s failed (%s); the projection worker will retry",
                stream_id,
                describe(exc),
                exc_info=redacted_exc_info(exc),
            )

    def execute_in(
        self, connection: Connection, stream_id: str, decide: Decide, context: CommandContext
    ) -> list[EventEnvelope]:
        """The same, inside a transaction the caller owns (e.g. a consumer's)."""
        return self._record(connection, stream_id, lambda _connection, history: decide(history), context)

    def _record(
        self,
        connection: Connection,
        stream_id: str,
        decide: DecideWith,
        context: CommandContext,
        *,
        new_stream: bool = False,
    ) -> list[EventEnvelope]:
        history = [] if new_stream else self._store.load(connection, stream_id)
        expected = history[-1].stream_version if history else 0
        decided = decide(
            connection, [self._registry.decode(e.type, e.schema_version, e.payload) for e in history]
        )
        recorded = self._store.append(
            connection, stream_id, expected, decided, context, publish=self._publisher, projected=self._inline
        )
        if self._project_inline is not None and recorded:
            self._project_inline(connection, recorded)
        return recorded

    @property
    def _inline(self) -> bool:
        return self._project_inline is not None


def _uuid5(namespace: str, name: str) -> str:
    """``str(uuid.uuid5(uuid.UUID(namespace), name))`` without the UUID objects (a third of the
    time; it runs for every published event, 100,000 times in a bulk import)."""
    data = bytes.fromhex(namespace.replace("-", "")) + name.encode()
    digest = bytearray(hashlib.sha1(data, usedforsecurity=False).digest()[:16])  # as RFC 4122 says
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def integration_event(source: EventEnvelope, topic: str, contract: DomainEvent) -> Publication:
    """The published form of a domain event: a contract payload in an envelope caused by it.

    Its id is derived from the source event's, so publishing it again yields the same id and
    consumers dedupe it.
    """
    envelope = EventEnvelope(
        event_id=_uuid5(source.event_id, contract.event_type),
        type=contract.event_type,
        schema_version=contract.schema_version,
        source=source.source,
        stream_id=source.stream_id,
        stream_version=source.stream_version,
        occurred_at=source.occurred_at,
        recorded_at=source.recorded_at,
        actor=source.actor,
        organization=source.organization,
        correlation_id=source.correlation_id,
        causation_id=source.event_id,
        traceparent=source.traceparent,
        payload=contract.to_payload(),
    )
    return Publication(topic, envelope)
