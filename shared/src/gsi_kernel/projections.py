"""Projections of a service's own event store, with a checkpoint and a full rebuild.

A projection applies events in commit order (ADR 2: the cursor ``(transaction id, position)``).

Read-your-writes (ADR 28): the writer applies a command's events to every projection **in the
command's own transaction** (:meth:`ProjectionRunner.apply_inline`) and records them as
``projected``. A command's result is readable as soon as it returns, on every process, and a
crash leaves either the events with their rows or neither. A failing projection fails the
command, which then writes nothing.

The checkpoint stays, for the events no command projected (appended before ADR 28, or by a
tool that writes without a writer): the catch-up at start and the background worker apply
those, and move the checkpoint past the projected ones; it moves in the same transaction as the
rows, so a crash never applies an event twice or skips one.

No single event stops the catch-up (ADR 6, "Parking"): a batch that fails for a reason of its
events' is applied again event by event, each in a savepoint, and an event that keeps failing is
parked (:mod:`gsi_kernel.parking`) while the checkpoint moves on; the catch-up and a rebuild go
on past it. An unreachable database parks nothing: the step fails and is tried again later.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

from sqlalchemy import Connection

from gsi_kernel import parking
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.errors import Conflict
from gsi_kernel.failures import database_unavailable, describe
from gsi_kernel.parking import ParkedEvent
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import Cursor, EventStore
from gsi_kernel.store.tracking import ensure_checkpoint, read_cursor, write_cursor

log = logging.getLogger(__name__)


class Projection(Protocol):
    """A read model of the service's own store (ADR 30): the one shape the runner drives."""

    name: str

    def apply_batch(self, connection: Connection, batch: Sequence[EventEnvelope]) -> None:
        """Fold the events, in order, into the read model (ignore types it does not use)."""

    def reset(self, connection: Connection) -> None:
        """Delete every row of the read model."""


class EventByEvent(ABC):
    """The batch as one event after another: the base of a projection with nothing better to do
    with a batch than fold its events in turn (it defines :meth:`apply` only)."""

    name: str

    @abstractmethod
    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        """Fold one event into the read model (ignore types it does not use)."""

    def apply_batch(self, connection: Connection, batch: Sequence[EventEnvelope]) -> None:
        for event in batch:
            self.apply(connection, event)


def _apply_each(
    projections: Sequence[Projection], connection: Connection, batch: Sequence[EventEnvelope]
) -> None:
    for projection in projections:
        projection.apply_batch(connection, batch)


class ProjectionRunner:
    """Drives a service's projections together, behind one checkpoint: a command's events are
    applied in its transaction; the catch-up reads each batch of the others once and applies it
    to every projection in one transaction."""

    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        projections: Sequence[Projection],
        clock: Clock,
        name: str = "read-models",
        batch_size: int = 500,
        attempts: int = parking.ATTEMPTS,
    ) -> None:
        self.name = name
        self._db = db
        self._store = store
        self._projections = list(projections)
        self._clock = clock
        self._batch_size = batch_size
        self._attempts = attempts
        self._ensured = False
        self._observers: list[Callable[[Sequence[EventEnvelope]], None]] = []
        self._read: Sequence[EventEnvelope] = ()  # the step's batch, told once committed

    def run_once(self) -> int:
        """One batch, in one transaction (the background worker's step): how many events it
        applied (those the commands projected are only passed over)."""
        return self._step()[0]

    def catch_up(self) -> None:
        """Apply every event committed so far."""
        while self._step()[1] >= self._batch_size:
            pass

    def observe(self, observer: Callable[[Sequence[EventEnvelope]], None]) -> None:
        """``observer`` is told each batch the catch-up passed, once committed: every event of
        the store once, in the one process whose catch-up took it (the checkpoint's lock) — how a
        service counts what its events say happened (docs/metrics.md). It must be quick, and
        its failure is only logged."""
        self._observers.append(observer)

    def _step(self) -> tuple[int, int]:
        """One batch in its own transaction (if an event's failure rolls it back, again event by
        event, the failing ones parked): how many events were applied, and how many read."""
        if not self._projections:
            return 0, 0
        counts = self._step_in_transactions()
        self._tell_observers()
        return counts

    def _tell_observers(self) -> None:
        batch, self._read = self._read, ()
        for observer in self._observers if batch else ():
            try:
                observer(batch)
            except Exception as exc:  # an observer counts: it must not stop the catch-up
                log.warning("%s: an observer failed: %s", self.name, describe(exc))

    def _step_in_transactions(self) -> tuple[int, int]:
        self._read = ()
        try:
            with self._db.transaction() as connection:
                return self._catch_up_from(connection, self._lock_checkpoint(connection))
        except Exception as exc:
            self._ensured = False  # the checkpoint's first row may have gone with the rollback
            if database_unavailable(exc):
                raise
            log.info("%s: a batch failed (%s); applying it event by event", self.name, describe(exc))
        with self._db.transaction() as connection:  # again, guarded: the failing events parked
            return self._catch_up_from(connection, self._lock_checkpoint(connection), guarded=True)

    def apply_inline(self, connection: Connection, recorded: Sequence[EventEnvelope]) -> None:
        """Apply a command's events, appended as ``projected`` in this very transaction (a
        failure fails the command, which writes nothing: nothing to park)."""
        _apply_each(self._projections, connection, recorded)

    def _catch_up_from(
        self, connection: Connection, cursor: Cursor, *, guarded: bool = False
    ) -> tuple[int, int]:
        """Apply the batch after ``cursor`` that no command projected; return how many events
        were handled (applied or, ``guarded``, parked) and how many read."""
        batch = self._store.read_all(connection, after=cursor, limit=self._batch_size)
        pending = [e for e in batch if not e.projected]
        if pending and guarded:
            self._apply_guarded(connection, self._projections, pending)
        elif pending:
            _apply_each(self._projections, connection, pending)
        if batch:
            write_cursor(connection, self.name, batch[-1].cursor, self._clock.now())
        self._read = batch
        return len(pending), len(batch)

    def rebuild(self, name: str) -> int:
        """Empty the projection ``name`` and replay the store into it, up to where the others
        are, atomically: every event projected by its command, and the others up to the
        checkpoint (later ones reach all of them at the next catch-up).

        The others hold every projected event, past the checkpoint too: appends are held off
        meanwhile (a command waits for the rebuild to commit), so that none lands in the
        projection between its reset and its replay.

        An event the projection cannot take is parked, as in the catch-up; one parked before
        that it takes now is no longer parked. Returns how many events it applied."""
        projection = next(p for p in self._projections if p.name == name)
        applied = 0
        with self._db.transaction() as connection:
            # Waits for the appending transactions under way (SQLite's writer lock, BEGIN
            # IMMEDIATE, already keeps every other writer out).
            backend_of(connection).hold_appends(connection)
            until = self._lock_checkpoint(connection)
            were_parked = parking.open_event_ids(connection, name)
            projection.reset(connection)
            parked_again: set[str] = set()
            cursor: Cursor = (0, 0)
            while batch := self._store.read_all(
                connection, after=cursor, limit=self._batch_size, settled=True
            ):
                replayed = [e for e in batch if e.cursor <= until or e.projected]
                parked_now = self._apply_guarded(connection, [projection], replayed)
                parked_again |= {event_id for _, event_id in parked_now}
                applied += len(replayed) - len(parked_now)
                cursor = batch[-1].cursor
            taken = [i for event_id, i in were_parked.items() if event_id not in parked_again]
            parking.resolve_rebuilt(connection, taken, self._clock)
        return applied

    def _apply_guarded(
        self, connection: Connection, projections: Sequence[Projection], events: Sequence[EventEnvelope]
    ) -> set[tuple[str, str]]:
        """Apply the batch in a savepoint; if it fails, event by event, each projection apart,
        parking what keeps failing. The (projection, event id) pairs parked."""
        if not events:
            return set()
        if parking.attempt(connection, partial(_apply_each, projections, connection, events)) is None:
            return set()
        parked: set[tuple[str, str]] = set()
        for event in events:
            for projection in projections:
                work = partial(projection.apply_batch, connection, [event])
                error, attempts = parking.attempt_repeatedly(connection, work, attempts=self._attempts)
                if error is not None:
                    parking.park(connection, projection.name, event, error, attempts, self._clock.now())
                    parked.add((projection.name, event.event_id))
        return parked

    def retry_parked(self, parked_id: int, actor: str) -> ParkedEvent:
        """Apply a parked event to its projection now, in the transaction that marks it retried
        (after its cause was fixed). Failing again, it stays parked with the new error: 409."""
        with self._db.transaction() as connection:
            self._lock_checkpoint(connection)  # one writer of the read models at a time
            parked = parking.open_parked(connection, parked_id)
            projection = self._projection_of(parked)
            event = self._stored(connection, parked)
            work = partial(projection.apply_batch, connection, [event])
            error, attempts = parking.attempt_repeatedly(connection, work, attempts=1)
            if error is None:
                log.info("%s: parked event %d retried by %s", parked.projection, parked_id, actor)
                return parking.resolve(connection, parked_id, parking.RETRIED, actor, None, self._clock.now())
            failed = parking.failed_again(connection, parked_id, error, attempts)
        raise Conflict(
            "parked_event.still_failing",
            f"L'événement mis de côté {parked_id} échoue encore ; il reste de côté avec sa nouvelle "
            "erreur (voir « details »). Corrigez-en la cause, ou ignorez-le avec un motif.",
            f"Parked event {parked_id} still fails; it stays parked with its new error (see "
            "'details'). Fix its cause, or skip it with a reason.",
            details={"id": parked_id, "error": failed.error, "attempts": failed.attempts},
        )

    def skip_parked(self, parked_id: int, actor: str, reason: str) -> ParkedEvent:
        """Leave a parked event out of its projection for good: who, when and why are kept."""
        with self._db.transaction() as connection:
            parked = parking.open_parked(connection, parked_id)
            log.info("%s: parked event %d skipped by %s", parked.projection, parked_id, actor)
            return parking.resolve(connection, parked_id, parking.SKIPPED, actor, reason, self._clock.now())

    def parked_counts(self) -> dict[str, int]:
        """Unresolved parked events by projection, every projection of the runner listed."""
        with self._db.transaction() as connection:
            found = parking.unresolved_counts(connection)
        return {p.name: found.pop(p.name, 0) for p in self._projections} | found

    def _projection_of(self, parked: ParkedEvent) -> Projection:
        found = next((p for p in self._projections if p.name == parked.projection), None)
        if found is None:
            raise Conflict(
                "parked_event.unknown_projection",
                f"Ce service n'a plus de projection « {parked.projection} » : "
                f"ignorez l'événement mis de côté {parked.id}.",
                f"This service has no projection '{parked.projection}' any more: "
                f"skip parked event {parked.id}.",
                details={"id": parked.id, "projection": parked.projection},
            )
        return found

    def _stored(self, connection: Connection, parked: ParkedEvent) -> EventEnvelope:
        return next(
            e for e in self._store.load(connection, parked.stream_id) if e.event_id == parked.event_id
        )

    def close(self) -> None:
        """Nothing held between steps."""

    def _lock_checkpoint(self, connection: Connection) -> Cursor:
        if not self._ensured:
            ensure_checkpoint(connection, self.name, self._clock.now())
            self._ensured = True
        return read_cursor(connection, self.name, for_update=True)
