"""Executing a decision on one stream: load, decide, append with the expected version, and put
the integration events in the outbox — all in one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.outbox import Outbox, Publication

log = logging.getLogger(__name__)

Decide = Callable[[list[DomainEvent]], Sequence[DomainEvent]]
DecideWith = Callable[[Connection, list[DomainEvent]], Sequence[DomainEvent]]
Publisher = Callable[[EventEnvelope], Sequence[Publication]]


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
    ) -> None:
        """``project(cursor)`` returns once the read models include the event at that cursor."""
        self._db = db
        self._store = store
        self._registry = registry
        self._clock = clock
        self._outbox = Outbox()
        self._publisher = publisher
        self._project = project

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
        if recorded:
            self._project_safely(stream_id, recorded[-1].cursor)
        return recorded

    def _project_safely(self, stream_id: str, cursor: tuple[int, int]) -> None:
        """Catch the read models up (read-your-writes), outside the append's transaction so the
        store's writer lock is held as briefly as possible; under load one catch-up projects
        the events of many commands. A failing read model must not fail a committed command:
        the background projection worker retries it."""
        try:
            self._project(cursor)
        except Exception:  # the events are committed; only the read model lags, and is retried
            log.exception("projecting after %s failed; the projection worker will retry", stream_id)

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
        recorded = self._store.append(connection, stream_id, expected, decided, context)
        publications = [p for event in recorded for p in self._publisher(event)]
        self._outbox.put(connection, publications, self._clock.now())
        return recorded


def integration_event(source: EventEnvelope, topic: str, contract: DomainEvent) -> Publication:
    """The published form of a domain event: a contract payload in an envelope caused by it.

    Its id is derived from the source event's, so publishing it again yields the same id and
    consumers dedupe it.
    """
    envelope = EventEnvelope(
        event_id=str(uuid.uuid5(uuid.UUID(source.event_id), contract.event_type)),
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
