"""The first answer to each ``Idempotency-Key`` (ADR 21): a request's key is reserved before it
runs, confirmed in the same transaction as its effect, and its answer kept for 24 hours.

1. :func:`reserve`, in a transaction of its own: the key becomes this request's (a row
   ``pending``, owned by a fresh ``owner`` token, leased for :data:`LEASE`) — or the stored
   answer is replayed, or the request is refused (another body: 422; still running: 409).
2. Every transaction the request then commits checks, just before its COMMIT, that the key is
   still its own and marks it ``committed`` (:func:`confirm_in`, called by
   :meth:`gsi_kernel.store.database.Database.transaction`). The key and the effect commit
   together: a request whose lease expired and whose key another request took over cannot
   commit after all — the effect happens once, whoever runs it.
3. :func:`record`: the answer is kept when the request had an effect (or succeeded); a request
   refused without effect releases its key, so that the same key may be sent again.

Time here is real time (``datetime.now``), not the service's business clock: the 24 hours are
a retention window and the lease a wait, both in the wall clock's seconds.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, select, update

from gsi_kernel.errors import Conflict
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.tables import idempotency_keys as keys

log = logging.getLogger(__name__)

RETENTION = timedelta(hours=24)
# How long a reservation holds against a request sent again with the same key (409 meanwhile);
# after it, the new request takes the key over — safely: the first can no longer commit.
LEASE = timedelta(seconds=60)


@dataclass
class Claim:
    """A request's hold on its key, seen by the transactions it runs (a context variable)."""

    engine: Engine
    key_hash: str
    owner: str = field(default_factory=lambda: str(uuid.uuid4()))
    active: bool = True  # False once the request answered (work it left behind is not its effect)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


Refusal = Literal["reused", "in_progress", "answer_lost"]

_CLAIM: ContextVar[Claim | None] = ContextVar("gsi_idempotency_claim", default=None)


def current() -> ContextVar[Claim | None]:
    """The context variable holding the running request's claim (set by the HTTP middleware)."""
    return _CLAIM


def now() -> datetime:
    return datetime.now(UTC)


def reserve(connection: Connection, key_hash: str, fingerprint: str) -> Claim | Answer | Refusal:
    """Make the key this request's, or say why not (in the caller's transaction)."""
    at = now()
    claim = Claim(connection.engine, key_hash)
    fresh = {
        "fingerprint": fingerprint,
        "state": "pending",
        "owner": claim.owner,
        "lease_until": at + LEASE,
        "expires_at": at + RETENTION,
        "status": None,
        "headers": None,
        "body": None,
    }
    inserted = connection.execute(
        backend_of(connection)
        .insert(keys)
        .values(key_hash=key_hash, **fresh)
        .on_conflict_do_nothing()
        .returning(keys.c.key_hash)  # (psycopg's rowcount of an INSERT … ON CONFLICT is not 1)
    ).first()
    if inserted is not None:
        return claim
    row = connection.execute(select(keys).where(keys.c.key_hash == key_hash).with_for_update()).one()
    if row.expires_at <= at:  # a key past its 24 hours is a new key
        _take(connection, key_hash, fresh)
        return claim
    if row.fingerprint != fingerprint:
        return "reused"
    if row.state == "done":
        return Answer(row.status, [(k, v) for k, v in row.headers], bytes(row.body))
    if row.lease_until > at:
        return "in_progress"
    if row.state == "committed":  # its request committed, then died before keeping its answer
        return "answer_lost"
    _take(connection, key_hash, {**fresh, "expires_at": row.expires_at})  # its request died
    return claim


def _take(connection: Connection, key_hash: str, values: Mapping[str, Any]) -> None:
    connection.execute(update(keys).where(keys.c.key_hash == key_hash).values(**values))


def confirm_in(connection: Connection) -> None:
    """Before a transaction of the running request commits: its key is still its own (else
    :class:`KeyTakenOver` rolls the transaction back), and now has an effect."""
    claim = _CLAIM.get()
    if claim is None or not claim.active or claim.engine is not connection.engine:
        return
    confirmed = connection.execute(
        update(keys)
        .where(
            keys.c.key_hash == claim.key_hash,
            keys.c.owner == claim.owner,
            keys.c.state.in_(("pending", "committed")),
        )
        .values(state="committed")
    )
    if confirmed.rowcount != 1:
        raise KeyTakenOver()


def record(connection: Connection, claim: Claim, answer: Answer) -> None:
    """Keep the request's answer if it had an effect or succeeded; else release its key."""
    # A success without a transaction (nothing to confirm) is kept too: it is an answer.
    states = ("committed", "pending") if answer.status < 400 else ("committed",)
    kept = connection.execute(
        update(keys)
        .where(keys.c.key_hash == claim.key_hash, keys.c.owner == claim.owner, keys.c.state.in_(states))
        .values(
            state="done", status=answer.status, headers=[list(h) for h in answer.headers], body=answer.body
        )
    )
    if kept.rowcount == 0:
        release(connection, claim)


def release(connection: Connection, claim: Claim) -> None:
    """Give the key up if the request had no effect under it (it may be sent again)."""
    connection.execute(
        delete(keys).where(
            keys.c.key_hash == claim.key_hash, keys.c.owner == claim.owner, keys.c.state == "pending"
        )
    )


def sweep(connection: Connection) -> int:
    """Forget the keys past their 24 hours."""
    return connection.execute(delete(keys).where(keys.c.expires_at <= now())).rowcount


class KeyTakenOver(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "request.idempotency_key_taken_over",
            "Cette requête a trop tardé : une autre requête portant la même clé d'idempotence "
            "l'a remplacée. Rien n'a été enregistré par celle-ci.",
            "This request took too long: another request with the same idempotency key replaced "
            "it. Nothing was recorded by this one.",
        )
