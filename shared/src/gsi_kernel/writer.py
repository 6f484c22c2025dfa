"""Executing a decision on one stream: load, decide, append with the expected version, put the
integration events in the outbox and apply the events to the service's read models — all in one
transaction (read-your-writes, ADR 28)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, final, overload

from sqlalchemy import Connection

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.heap import gc_paused
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.outbox import Outbox, Publication

R = TypeVar("R")


@final
@dataclass(frozen=True, slots=True)
class Decision(Generic[R]):
    """What a decision returns when its caller needs more than the events: the events to record
    and a result computed with them (e.g. the new file's number), which :meth:`StreamWriter.execute`
    hands back once they are recorded."""

    events: Sequence[DomainEvent]
    result: R


@final
@dataclass(frozen=True, slots=True)
class Executed(Generic[R]):
    """A recorded decision: its events as stored (envelopes, in order) and the decision's result
    (None for a decision that returned its events alone)."""

    events: list[EventEnvelope]
    result: R


# A decision on a stream's history: the events to record, or a Decision with a result too.
Decide = Callable[[list[DomainEvent]], Sequence[DomainEvent]]
DecideFor = Callable[[list[DomainEvent]], Decision[R]]
NewStreams = Sequence[tuple[str, Sequence[DomainEvent]]]
# What an event publishes (integration events for the outbox). It sees the event as recorded,
# except for its position in the store, which a command's event gets in the same statement.
Publisher = Callable[[EventEnvelope], Sequence[Publication]]
# Applies a command's recorded events to the read models inside its transaction (ADR 28).
Project = Callable[[Connection, Sequence[EventEnvelope]], None]


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
        project: Project | None = None,
    ) -> None:
        """Read-your-writes (ADR 28): ``project(connection, events)`` applies a command's events
        to the read models in its transaction, and the events are stored as ``projected``.
        Without it (a writer with no read models: tests, tools) they are left to the catch-up."""
        self._db = db
        self._store = store
        self._registry = registry
        self._clock = clock
        self._outbox = Outbox()
        self._publisher = publisher
        self._project = project

    @overload
    def execute(
        self,
        stream_id: str,
        decide: DecideFor[R],
        context: CommandContext,
        *,
        new_stream: bool = False,
        connection: Connection | None = None,
    ) -> Executed[R]: ...

    @overload
    def execute(
        self,
        stream_id: str,
        decide: Decide,
        context: CommandContext,
        *,
        new_stream: bool = False,
        connection: Connection | None = None,
    ) -> Executed[None]: ...

    def execute(
        self,
        stream_id: str,
        decide: Callable[[list[DomainEvent]], Sequence[DomainEvent] | Decision[Any]],
        context: CommandContext,
        *,
        new_stream: bool = False,
        connection: Connection | None = None,
    ) -> Executed[Any]:
        """Decide on the stream's history and record the outcome (events, outbox rows, read
        models) in one transaction; raise the domain's errors as is. Returns the recorded events,
        and the decision's result when it returned a :class:`Decision`.

        ``connection``: record in the caller's transaction, which commits it — a consumer's, or
        a use case's whose decision also reads the read models or writes rows that must commit
        with the events. ``new_stream``: the caller just made the id up, so there is no history
        to load (a clash still conflicts)."""
        if connection is not None:
            return self._record(connection, stream_id, decide, context, new_stream=new_stream)
        with self._db.transaction() as connection:
            return self._record(connection, stream_id, decide, context, new_stream=new_stream)

    def append_new_streams(
        self,
        streams: NewStreams,
        context: CommandContext,
        *,
        skip_existing: bool = False,
        connection: Connection | None = None,
    ) -> list[str]:
        """Append each stream's events as a new stream (versions 1..n), all in one transaction with
        their outbox rows and read-model rows. Returns the ids of the streams written.
        skip_existing: streams that already exist are left alone and left out of the result
        (idempotent re-imports); otherwise an existing stream raises ConcurrencyConflict and nothing
        is written. ``connection``: in the caller's transaction, which commits it (streams decided
        from what it read, e.g. a group session's attendees)."""
        if connection is not None:
            return self._append_new_streams(connection, streams, context, skip_existing=skip_existing)
        with self._db.transaction() as connection:
            return self._append_new_streams(connection, streams, context, skip_existing=skip_existing)

    def _append_new_streams(
        self, connection: Connection, streams: NewStreams, context: CommandContext, *, skip_existing: bool
    ) -> list[str]:
        # A bulk append builds many young objects without cycles: the collector stays off meanwhile.
        with gc_paused():
            recorded = self._store.append_new_streams(
                connection, streams, context, skip_existing=skip_existing, projected=self._projects
            )
            publications = [p for event in recorded for p in self._publisher(event)]
            self._outbox.put(connection, publications, self._clock.now())
            if self._project is not None and recorded:
                self._project(connection, recorded)
        return list(dict.fromkeys(e.stream_id for e in recorded))

    def _record(
        self,
        connection: Connection,
        stream_id: str,
        decide: Callable[[list[DomainEvent]], Sequence[DomainEvent] | Decision[Any]],
        context: CommandContext,
        *,
        new_stream: bool = False,
    ) -> Executed[Any]:
        history = [] if new_stream else self._store.load(connection, stream_id)
        expected = history[-1].stream_version if history else 0
        outcome = decide([self._registry.decode(e.type, e.schema_version, e.payload) for e in history])
        if isinstance(outcome, Decision):
            decided, result = outcome.events, outcome.result
        else:
            decided, result = outcome, None
        projected = self._projects
        recorded = self._store.append(
            connection, stream_id, expected, decided, context, publish=self._publisher, projected=projected
        )
        if self._project is not None and recorded:
            self._project(connection, recorded)
        return Executed(recorded, result)

    @property
    def _projects(self) -> bool:
        return self._project is not None


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
