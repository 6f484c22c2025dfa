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
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import Cursor, EventStore
from gsi_kernel.store.tracking import ensure_checkpoint, read_cursor, write_cursor


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
    ) -> None:
        self.name = name
        self.inline = inline and bool(projections)
        self._db = db
        self._store = store
        self._projections = list(projections)
        self._clock = clock
        self._batch_size = batch_size
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
            with self._db.transaction() as connection:
                applied, read, reached = self._catch_up_from(
                    connection, self._lock_checkpoint(connection), limit=self._batch_size
                )
            self._projected_through = max(self._projected_through, reached)
        return applied, read

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
                with self._db.transaction() as connection:
                    _, _, reached = self._catch_up_from(
                        connection, self._lock_checkpoint(connection), limit=None
                    )
                self._projected_through = max(self._projected_through, reached)
                self._last_catch_up = time.monotonic()
                if reached >= cursor:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"read models did not reach {cursor} within {timeout_s} s")
            time.sleep(0.002)  # an older transaction is still running: it ends in a moment

    def apply_inline(self, connection: Connection, recorded: Sequence[EventEnvelope]) -> None:
        """Apply a command's events, appended as ``projected`` in this very transaction."""
        for projection in self._projections:
            apply_all(projection, connection, recorded)

    def catch_up_in(self, connection: Connection, *, limit: int | None = None) -> int:
        """Apply, inside the caller's transaction, what the projections have not seen yet."""
        if not self._projections:
            return 0
        applied, _, _ = self._catch_up_from(connection, self._lock_checkpoint(connection), limit=limit)
        return applied

    def _catch_up_from(
        self, connection: Connection, cursor: Cursor, *, limit: int | None
    ) -> tuple[int, int, Cursor]:
        """Apply from ``cursor`` what no command projected; return how many events were applied,
        how many read, and the cursor reached."""
        applied = read = 0
        while True:
            batch = self._store.read_all(connection, after=cursor, limit=limit or self._batch_size)
            pending = [e for e in batch if not e.projected]
            if pending:
                for projection in self._projections:
                    apply_all(projection, connection, pending)
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
        commit), so that none lands in the projection between its reset and its replay."""
        projection = next(p for p in self._projections if p.name == name)
        applied = 0
        with self._db.transaction() as connection:
            if self.inline and connection.dialect.name == "postgresql":
                # Waits for the appending transactions under way; SQLite's writer lock (BEGIN
                # IMMEDIATE) already keeps every other writer out.
                connection.exec_driver_sql("LOCK TABLE events IN SHARE MODE")
            until = self._lock_checkpoint(connection)
            projection.reset(connection)
            cursor: Cursor = (0, 0)
            while batch := self._store.read_all(
                connection, after=cursor, limit=self._batch_size, settled=self.inline
            ):
                for event in batch:
                    if event.cursor <= until or event.projected:
                        projection.apply(connection, event)
                        applied += 1
                    elif not self.inline:
                        return applied
                cursor = batch[-1].cursor
        return applied

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
