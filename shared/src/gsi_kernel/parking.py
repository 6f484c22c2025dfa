"""Parked events: those a projection could not apply, set aside so that no single event stops
a service's read models (ADR 6, "Parking").

The projection runner applies a batch in one transaction; when that fails for a reason that is
the events' (not an unreachable database, see :func:`gsi_kernel.failures.database_unavailable`),
it applies the batch again event by event, each in a savepoint (on PostgreSQL a failed statement
otherwise aborts the whole transaction), a few attempts each. An event that still fails is
*parked* for that projection — a row here, its error redacted — and the checkpoint moves on.
An administrator then retries it (once its cause is fixed) or skips it, with a reason.

This module holds the attempt in a savepoint and the table's reads and writes; the runner
(:class:`gsi_kernel.projections.ProjectionRunner`) decides what to attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, case, func, insert, select, update

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.errors import Conflict, NotFound
from gsi_kernel.failures import database_unavailable, describe, redacted_exc_info
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.tables import parked_events

log = logging.getLogger(__name__)

ATTEMPTS = 3
"""Attempts at one event before it is parked (each in its own savepoint)."""

RETRIED, SKIPPED, REBUILT = "retried", "skipped", "rebuilt"


class ParkedEvent(BaseModel):
    """An event a projection could not apply: where it stands in the store, what failed
    (redacted: no value of the event), and how it was resolved."""

    id: int = Field(examples=[1])
    projection: str = Field(examples=["registration.persons"])
    event_id: str
    event_type: str = Field(examples=["PersonRegistered"])
    stream_id: str
    tx_id: int
    position: int
    error: str = Field(examples=["DataError: psycopg.errors.UntranslatableCharacter [SQLSTATE 22P05]"])
    attempts: int
    parked_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = Field(default=None, examples=[SKIPPED])
    resolved_by: str | None = None
    reason: str | None = None


def attempt(connection: Connection, work: Callable[[], None]) -> BaseException | None:
    """Run ``work`` in a savepoint of the caller's transaction: None if it went in, else the
    error (its writes undone, the transaction still usable). A database that cannot run the
    statement at all is not the work's fault: that error is raised."""
    try:
        with connection.begin_nested():
            work()
    except Exception as exc:  # whatever the projection raises is the event's failure
        if database_unavailable(exc):
            raise
        return exc
    return None


def attempt_repeatedly(
    connection: Connection, work: Callable[[], None], *, attempts: int = ATTEMPTS
) -> tuple[BaseException | None, int]:
    """:func:`attempt` up to ``attempts`` times; the last error (None once it went in) and how
    many attempts were made."""
    error: BaseException | None = None
    for made in range(1, attempts + 1):
        error = attempt(connection, work)
        if error is None:
            return None, made
    return error, attempts


def park(
    connection: Connection,
    projection: str,
    event: EventEnvelope,
    error: BaseException,
    attempts: int,
    now: datetime,
) -> int:
    """Set ``event`` aside for ``projection`` (or count more attempts on its open row); its id."""
    text = describe(error)
    log.warning(
        "projection %s parked event %s (%s): %s",
        projection,
        event.event_id,
        event.type,
        text,
        exc_info=redacted_exc_info(error),
    )
    open_row = connection.execute(
        select(parked_events.c.id).where(
            parked_events.c.projection == projection,
            parked_events.c.event_id == event.event_id,
            parked_events.c.resolved_at.is_(None),
        )
    ).scalar()
    if open_row is not None:
        _failed_again(connection, int(open_row), text, attempts)
        return int(open_row)
    tx_id, position = event.cursor
    return int(
        connection.execute(
            insert(parked_events)
            .values(
                projection=projection,
                event_id=event.event_id,
                event_type=event.type,
                stream_id=event.stream_id,
                tx_id=tx_id,
                position=position,
                error=text,
                attempts=attempts,
                parked_at=now,
            )
            .returning(parked_events.c.id)
        ).scalar_one()
    )


def failed_again(connection: Connection, parked_id: int, error: BaseException, attempts: int) -> ParkedEvent:
    """A retry failed: the row keeps the new (redacted) error and counts the attempts."""
    _failed_again(connection, parked_id, describe(error), attempts)
    return load(connection, parked_id)


def _failed_again(connection: Connection, parked_id: int, text: str, attempts: int) -> None:
    connection.execute(
        update(parked_events)
        .where(parked_events.c.id == parked_id)
        .values(error=text, attempts=parked_events.c.attempts + attempts)
    )


def load(connection: Connection, parked_id: int) -> ParkedEvent:
    row = connection.execute(select(parked_events).where(parked_events.c.id == parked_id)).one()
    return ParkedEvent.model_validate(dict(row._mapping))


def open_parked(connection: Connection, parked_id: int) -> ParkedEvent:
    """The parked event ``parked_id``, locked, still unresolved; else a 404 or a 409."""
    query = backend_of(connection).lock_rows(select(parked_events).where(parked_events.c.id == parked_id))
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(
            "parked_event.not_found",
            f"Aucun événement mis de côté n'a le numéro {parked_id}.",
            f"No parked event has the number {parked_id}.",
            details={"id": parked_id},
        )
    parked = ParkedEvent.model_validate(dict(row._mapping))
    if parked.resolved_at is not None:
        raise Conflict(
            "parked_event.resolved",
            f"L'événement mis de côté {parked_id} est déjà réglé ({parked.resolution}).",
            f"Parked event {parked_id} is already resolved ({parked.resolution}).",
            details={"id": parked_id, "resolution": parked.resolution},
        )
    return parked


def resolve(
    connection: Connection, parked_id: int, resolution: str, by: str, reason: str | None, now: datetime
) -> ParkedEvent:
    connection.execute(
        update(parked_events)
        .where(parked_events.c.id == parked_id)
        .values(resolved_at=now, resolution=resolution, resolved_by=by, reason=reason)
    )
    return load(connection, parked_id)


def open_event_ids(connection: Connection, projection: str) -> dict[str, int]:
    """The events still parked for ``projection``: event id → parked id."""
    rows = connection.execute(
        select(parked_events.c.event_id, parked_events.c.id).where(
            parked_events.c.projection == projection, parked_events.c.resolved_at.is_(None)
        )
    )
    return {event_id: int(parked_id) for event_id, parked_id in rows}


def resolve_rebuilt(connection: Connection, parked_ids: list[int], clock: Clock) -> None:
    """A rebuild applied these parked events after all: they are no longer parked."""
    if parked_ids:
        connection.execute(
            update(parked_events)
            .where(parked_events.c.id.in_(parked_ids), parked_events.c.resolved_at.is_(None))
            .values(resolved_at=clock.now(), resolution=REBUILT, resolved_by="rebuild")
        )


def unresolved_counts(connection: Connection) -> dict[str, int]:
    """How many events each projection has parked and nobody resolved yet (a gauge to watch)."""
    rows = connection.execute(
        select(parked_events.c.projection, func.count())
        .where(parked_events.c.resolved_at.is_(None))
        .group_by(parked_events.c.projection)
    )
    return {projection: int(n) for projection, n in rows}


def list_parked(
    connection: Connection, *, projection: str | None, offset: int, limit: int
) -> tuple[list[ParkedEvent], int]:
    """A page of parked events, the unresolved first (oldest first within each)."""
    query: Any = select(parked_events)
    if projection is not None:
        query = query.where(parked_events.c.projection == projection)
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    unresolved_first = case((parked_events.c.resolved_at.is_(None), 0), else_=1)
    rows = connection.execute(
        query.order_by(unresolved_first, parked_events.c.id).offset(offset).limit(limit)
    )
    return [ParkedEvent.model_validate(dict(r._mapping)) for r in rows], int(total)
