"""Projections of a service's own event store, with a checkpoint and a full rebuild.

A projection applies events in commit order (global position) and its checkpoint moves in the
same transaction as its rows, so a crash never applies an event twice or skips one. Command
handlers call :meth:`ProjectionRunner.catch_up` after their commit for read-your-writes; a
background worker catches up too, so events appended by any process are projected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.tracking import ensure_checkpoint, read_checkpoint, write_checkpoint


class Projection(Protocol):
    name: str

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        """Fold one event into the read model (ignore types it does not use)."""

    def reset(self, connection: Connection) -> None:
        """Delete every row of the read model."""


class ProjectionRunner:
    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        projections: Sequence[Projection],
        clock: Clock,
        batch_size: int = 500,
    ) -> None:
        self._db = db
        self._store = store
        self._projections = list(projections)
        self._clock = clock
        self._batch_size = batch_size

    def run_once(self) -> int:
        return sum(self._step(p) for p in self._projections)

    def catch_up(self) -> None:
        """Apply every event committed so far."""
        while self.run_once():
            pass

    def rebuild(self, name: str) -> int:
        """Empty the projection ``name`` and replay the whole store into it, atomically."""
        projection = next(p for p in self._projections if p.name == name)
        applied = 0
        with self._db.transaction() as connection:
            ensure_checkpoint(connection, name, self._clock.now())
            read_checkpoint(connection, name, for_update=True)
            projection.reset(connection)
            position = 0
            while batch := self._store.read_all(connection, after=position, limit=self._batch_size):
                for event in batch:
                    projection.apply(connection, event)
                position = batch[-1].position or position
                applied += len(batch)
            write_checkpoint(connection, name, position, self._clock.now())
        return applied

    def close(self) -> None:
        """Nothing held between steps."""

    def _step(self, projection: Projection) -> int:
        with self._db.transaction() as connection:
            ensure_checkpoint(connection, projection.name, self._clock.now())
            position = read_checkpoint(connection, projection.name, for_update=True)
            batch = self._store.read_all(connection, after=position, limit=self._batch_size)
            for event in batch:
                projection.apply(connection, event)
            if batch:
                write_checkpoint(
                    connection, projection.name, batch[-1].position or position, self._clock.now()
                )
        return len(batch)
