"""Exactly-once bookkeeping: rows recording which events a consumer already applied, the
checkpoints of projections, and leases that let one instance of a worker run at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, update

from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.ports import Backend
from gsi_kernel.store.tables import checkpoints, leases, processed
from gsi_kernel.store.types import UtcDateTime


def already_processed(connection: Connection, consumer: str, event_id: str) -> bool:
    query = select(processed.c.event_id).where(
        processed.c.consumer == consumer, processed.c.event_id == event_id
    )
    return connection.execute(query).first() is not None


def processed_outcome(connection: Connection, consumer: str, event_id: str) -> str | None:
    """How ``consumer`` handled ``event_id`` ("applied", "dead_lettered"), or None if it has not."""
    query = select(processed.c.outcome).where(
        processed.c.consumer == consumer, processed.c.event_id == event_id
    )
    outcome: str | None = connection.execute(query).scalar()
    return outcome


def mark_processed(connection: Connection, consumer: str, event_id: str, outcome: str, now: datetime) -> None:
    """Record that ``consumer`` handled ``event_id``; the primary key refuses a second time."""
    connection.execute(
        insert(processed).values(consumer=consumer, event_id=event_id, outcome=outcome, processed_at=now)
    )


def processed_outcomes(connection: Connection, consumer: str, event_ids: Sequence[str]) -> dict[str, str]:
    """How ``consumer`` handled those of ``event_ids`` it already handled (one query)."""
    query = select(processed.c.event_id, processed.c.outcome).where(
        processed.c.consumer == consumer, processed.c.event_id.in_(set(event_ids))
    )
    return {row.event_id: row.outcome for row in connection.execute(query)}


def mark_all_processed(
    connection: Connection, consumer: str, event_ids: Sequence[str], outcome: str, now: datetime
) -> None:
    """:func:`mark_processed` for many events, in one statement."""
    if event_ids:
        rows = [
            {"consumer": consumer, "event_id": e, "outcome": outcome, "processed_at": now} for e in event_ids
        ]
        backend_of(connection).insert_rows(connection, processed, rows)


_CHECKPOINT = select(checkpoints.c.tx_id, checkpoints.c.position).where(
    checkpoints.c.name == bindparam("name")
)
_MOVE_CHECKPOINT = (
    update(checkpoints)
    .where(checkpoints.c.name == bindparam("checkpoint"))
    .values(tx_id=bindparam("tx"), position=bindparam("position"), updated_at=bindparam("now"))
)


def read_cursor(connection: Connection, name: str, *, for_update: bool = False) -> tuple[int, int]:
    """A checkpoint as a (transaction id, position) cursor; (0, 0) if it was never moved."""
    query = _checkpoint_locked(backend_of(connection)) if for_update else _CHECKPOINT
    row = connection.execute(query, {"name": name}).first()
    return (int(row.tx_id), int(row.position)) if row is not None else (0, 0)


@cache
def _checkpoint_locked(backend: Backend) -> Any:
    return backend.lock_rows(_CHECKPOINT)  # built once per backend


def write_cursor(connection: Connection, name: str, cursor: tuple[int, int], now: datetime) -> None:
    connection.execute(
        _MOVE_CHECKPOINT, {"checkpoint": name, "tx": cursor[0], "position": cursor[1], "now": now}
    )


def read_checkpoint(connection: Connection, name: str, *, for_update: bool = False) -> int:
    """A checkpoint used as a plain number (e.g. the time of a job's last run)."""
    return read_cursor(connection, name, for_update=for_update)[1]


def ensure_checkpoint(connection: Connection, name: str, now: datetime) -> None:
    """The checkpoint's row, at zero, unless it exists (replicas starting together each try: no
    error, nor a line in PostgreSQL's log, for those that find it there)."""
    row = {"name": name, "position": 0, "tx_id": 0, "updated_at": now}
    connection.execute(backend_of(connection).insert(checkpoints).values(row).on_conflict_do_nothing())


def write_checkpoint(connection: Connection, name: str, position: int, now: datetime) -> None:
    write_cursor(connection, name, (0, position), now)


_ACQUIRE = text(
    """
    INSERT INTO leases (name, holder, expires_at) VALUES (:name, :holder, :expires)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.holder = excluded.holder OR leases.expires_at < :now
    """
).bindparams(
    bindparam("expires", type_=UtcDateTime()),
    bindparam("now", type_=UtcDateTime()),
)


def try_acquire_lease(connection: Connection, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder`` unless another live holder has it."""
    connection.execute(_ACQUIRE, {"name": name, "holder": holder, "expires": now + ttl, "now": now})
    current = connection.execute(select(leases.c.holder).where(leases.c.name == name)).scalar_one()
    return bool(current == holder)


def release_lease(connection: Connection, name: str, holder: str) -> None:
    connection.execute(
        text("DELETE FROM leases WHERE name = :name AND holder = :holder"),
        {"name": name, "holder": holder},
    )
