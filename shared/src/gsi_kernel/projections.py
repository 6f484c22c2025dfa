"""Projections of a service's own event store, with a checkpoint and a full rebuild.

A projection applies events in commit order (ADR 2: the cursor ``(transaction id, position)``)
and its checkpoint moves in the same transaction as its rows, so a crash never applies an
event twice or skips one.

Read-your-writes comes one of two ways, chosen per service (ADR 16):

- **After the command** (the default): the writer catches the projections up right after each
  command commits. Within a process one thread catches up at a time, and under load one
  catch-up projects the events of many commands. A background worker
  (:class:`ProjectionWorker`) catches up too: for other processes' events, and after a
  projection failed; it stands aside while requests keep the read models up to date.
- **Inline**: the writer applies a command's events to every projection in the command's own
  transaction (:meth:`ProjectionRunner.apply_inline`) and records them as ``projected``; the
  catch-up then only moves the checkpoint past them, and applies what was not projected (events
  from before the service went inline). A failing projection fails the command, which then
  writes nothing.

No single event stops a projection (ADR 6, "Parking"): a batch that fails for a reason of its
events' is applied again event by event, each in a savepoint, and an event that keeps failing is
parked (:mod:`gsi_kernel.parking`) while the checkpoint moves on; the catch-up at start, the
background worker's and a rebuild all go on past it. An unreachable database parks nothing: the
step fails and is tried again later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
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
    name: str

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        """Fold one event into the read model (ignore types it does not use)."""

    def reset(self, connection: Connection) -> None:
        """Delete every row of the read model."""


def apply_all(projection: Projection, connection: Connection, batch: Sequence[EventEnvelope]) -> None:
    """Apply a batch; a projection may define ``apply_batch`` to do it in fewer statements."""
    apply_batch = getattr(projection, "apply_batch", None)
    if apply_batch is not None:
        apply_batch(connection, batch)
        return
    for event in batch:
        projection.apply(connection, event)


def _apply_each(
    projections: Sequence[Projection], connection: Connection, batch: Sequence[EventEnvelope]
) -> None:
    for projection in projections:
        apply_all(projection, connection, batch)


class ProjectionRunner:
    """Drives a service's projections together, behind one checkpoint: each batch of events is
    read once and applied to every projection in one transaction."""

    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        projections: Sequence[Projection],
        clock: Clock,
        name: str = "read-models",
        batch_size: int = 500,
        inline: bool = False,
        attempts: int = parking.ATTEMPTS,
    ) -> None:
        self.name = name
        self.inline = inline and bool(projections)
        self._db = db
        self._store = store
        self._projections = list(projections)
        self._clock = clock
        self._batch_size = batch_size
        self._attempts = attempts
        self._ensured = False
        self._local = threading.Lock()
        self._projected_through: Cursor = (0, 0)  # committed by this process: later ones need a look
        self._last_catch_up = 0.0

    def run_once(self) -> int:
        """One batch, in one transaction (the background worker's step); how many events it
        applied (inline, those the commands projected are only passed over)."""
        return self._step()[0]

    def catch_up(self) -> None:
        """Apply every event committed so far."""
        while self._step()[1] >= self._batch_size:
            pass

    def _step(self) -> tuple[int, int]:
        """One batch: how many events were applied, and how many read."""
        if not self._projections:
            return 0, 0
        with self._local:  # not against this process's own request threads: they share the work
            applied, read, reached = self._catch_up_in_own_transaction(limit=self._batch_size)
            self._projected_through = max(self._projected_through, reached)
        return applied, read

    def _catch_up_in_own_transaction(self, *, limit: int | None) -> tuple[int, int, Cursor]:
        """The batches in one plain transaction; if an event's failure rolls it back, again with
        each batch guarded (event by event after a failure, the failing ones parked)."""
        try:
            with self._db.transaction() as connection:
                return self._catch_up_from(connection, self._lock_checkpoint(connection), limit=limit)
        except Exception as exc:
            self._ensured = False  # the checkpoint's first row may have gone with the rollback
            if database_unavailable(exc):
                raise
            log.info("%s: a batch failed (%s); applying it event by event", self.name, describe(exc))
        with self._db.transaction() as connection:
            return self._catch_up_from(
                connection, self._lock_checkpoint(connection), limit=limit, guarded=True
            )

    def catch_up_through(self, cursor: Cursor, *, timeout_s: float = 5.0) -> None:
        """Return once the read models include the event at ``cursor`` (read-your-writes).

        Within a process one thread catches up at a time while the others wait on a local lock,
        then usually find their event already projected (no query at all). An event becomes
        readable once every older transaction has ended, so a catch-up may need a second look."""
        if not self._projections:
            return
        deadline = time.monotonic() + timeout_s
        while True:
            with self._local:
                if self._projected_through >= cursor:
                    return
                _, _, reached = self._catch_up_in_own_transaction(limit=None)
                self._projected_through = max(self._projected_through, reached)
                self._last_catch_up = time.monotonic()
                if reached >= cursor:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"read models did not reach {cursor} within {timeout_s} s")
            time.sleep(0.002)  # an older transaction is still running: it ends in a moment

    def apply_inline(self, connection: Connection, recorded: Sequence[EventEnvelope]) -> None:
        """Apply a command's events, appended as ``projected`` in this very transaction (a
        failure fails the command, which writes nothing: nothing to park)."""
        _apply_each(self._projections, connection, recorded)

    def catch_up_in(self, connection: Connection, *, limit: int | None = None) -> int:
        """Apply, inside the caller's transaction, what the projections have not seen yet (each
        batch guarded: the caller's transaction survives a failing event)."""
        if not self._projections:
            return 0
        applied, _, _ = self._catch_up_from(
            connection, self._lock_checkpoint(connection), limit=limit, guarded=True
        )
        return applied

    def _catch_up_from(
        self, connection: Connection, cursor: Cursor, *, limit: int | None, guarded: bool = False
    ) -> tuple[int, int, Cursor]:
        """Apply from ``cursor`` what no command projected; return how many events were handled
        (applied or, ``guarded``, parked), how many read, and the cursor reached."""
        applied = read = 0
        while True:
            batch = self._store.read_all(connection, after=cursor, limit=limit or self._batch_size)
            pending = [e for e in batch if not e.projected]
            if pending and guarded:
                self._apply_guarded(connection, self._projections, pending)
            elif pending:
                _apply_each(self._projections, connection, pending)
            if batch:
                cursor = batch[-1].cursor
                applied += len(pending)
                read += len(batch)
            if limit is not None or len(batch) < self._batch_size:
                break
        if read:
            write_cursor(connection, self.name, cursor, self._clock.now())
        return applied, read, cursor

    def rebuild(self, name: str) -> int:
        """Empty the projection ``name`` and replay the store into it, up to where the others
        are, atomically (later events reach all of them at the next catch-up).

        Inline, the others also hold every event projected in its own transaction, past the
        checkpoint too: appends are held off meanwhile (a command waits for the rebuild to
        commit), so that none lands in the projection between its reset and its replay.

        An event the projection cannot take is parked, as in the catch-up; one parked before
        that it takes now is no longer parked. Returns how many events it applied."""
        projection = next(p for p in self._projections if p.name == name)
        applied = 0
        with self._db.transaction() as connection:
            if self.inline:
                # Waits for the appending transactions under way (SQLite's writer lock, BEGIN
                # IMMEDIATE, already keeps every other writer out).
                backend_of(connection).hold_appends(connection)
            until = self._lock_checkpoint(connection)
            were_parked = parking.open_event_ids(connection, name)
            projection.reset(connection)
            parked_again: set[str] = set()
            cursor: Cursor = (0, 0)
            while batch := self._store.read_all(
                connection, after=cursor, limit=self._batch_size, settled=self.inline
            ):
                replayed = [e for e in batch if e.cursor <= until or e.projected]
                parked_now = self._apply_guarded(connection, [projection], replayed)
                parked_again |= {event_id for _, event_id in parked_now}
                applied += len(replayed) - len(parked_now)
                if not self.inline and len(replayed) < len(batch):
                    break  # past where the others are: the next catch-up takes the rest
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
                work = partial(apply_all, projection, connection, [event])
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
            work = partial(apply_all, projection, connection, [event])
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

    @property
    def last_catch_up(self) -> float:
        """When (``time.monotonic``) a request's catch-up last brought the read models up to date."""
        return self._last_catch_up

    def _lock_checkpoint(self, connection: Connection) -> Cursor:
        if not self._ensured:
            ensure_checkpoint(connection, self.name, self._clock.now())
            self._ensured = True
        return read_cursor(connection, self.name, for_update=True)


class ProjectionWorker:
    """The background catch-up (for other processes' events, and after a failed projection),
    which stands aside while this process's requests keep the read models up to date: under
    load it would otherwise run the same catch-up as they do, once more per batch."""

    def __init__(self, runner: ProjectionRunner, *, quiet_s: float = 0.2) -> None:
        self._runner = runner
        self._quiet_s = quiet_s

    def run_once(self) -> int:
        if time.monotonic() - self._runner.last_catch_up < self._quiet_s:
            return 0
        return self._runner.run_once()

    def close(self) -> None:
        self._runner.close()
